import { Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ReviewArgs } from '../audit/audit.types';
import { StaffMember } from '../users/staff-directory.types';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { Subject } from '../subjects/subject.types';
import { breakGlass, breakGlassGrants, reviewBreakGlass } from './break-glass.service';
import { BreakGlassArgs, BreakGlassGrant, BreakGlassGrantConnection, BreakGlassGrantsArgs } from './break-glass.types';

@Resolver(() => BreakGlassGrant)
export class BreakGlassResolver {
  @Authorized(Permission.BREAK_GLASS)
  @Mutation(() => BreakGlassGrant, {
    description:
      'Emergency: read one subject and its reports for an hour outside your normal scope. The reason is mandatory; every use is flagged for audit review.',
  })
  breakGlass(@Ctx() ctx: GraphQLContext, @Args(() => BreakGlassArgs) { subjectId, reason }: BreakGlassArgs) {
    return breakGlass(ctx, subjectId, reason);
  }

  @Authorized(Permission.REVIEW_BREAK_GLASS)
  @Query(() => BreakGlassGrantConnection, { description: 'Break-glass grants to review (or reviewed), newest first' })
  breakGlassGrants(@Ctx() ctx: GraphQLContext, @Args(() => BreakGlassGrantsArgs) args: BreakGlassGrantsArgs) {
    return breakGlassGrants(ctx, args);
  }

  @Authorized(Permission.REVIEW_BREAK_GLASS)
  @Mutation(() => BreakGlassGrant, {
    description: 'Review a break-glass use: JUSTIFIED, NOT_JUSTIFIED or REFERRED, with a note. Once; never your own.',
  })
  reviewBreakGlass(@Ctx() ctx: GraphQLContext, @Args(() => ReviewArgs) { id, outcome, note }: ReviewArgs) {
    return reviewBreakGlass(ctx, id, outcome, note);
  }

  @FieldResolver(() => StaffMember, { nullable: true, description: 'The grantee (null outside your directory scope)' })
  user(@Root() grant: BreakGlassGrant, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.staffById.load(grant.userId);
  }

  @FieldResolver(() => StaffMember, {
    nullable: true,
    description: 'Who reviewed it (null until reviewed, or outside your directory scope)',
  })
  reviewedBy(@Root() grant: BreakGlassGrant, @Ctx() ctx: GraphQLContext) {
    return grant.reviewedByUserId ? ctx.loaders.staffById.load(grant.reviewedByUserId) : null;
  }

  @FieldResolver(() => Subject, { nullable: true })
  async subject(@Root() grant: BreakGlassGrant, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.subjectsById.load(grant.subjectId))[0] ?? null;
  }
}
