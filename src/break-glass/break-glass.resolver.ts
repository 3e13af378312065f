import { Args, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { Subject } from '../subjects/subject.types';
import { breakGlass } from './break-glass.service';
import { BreakGlassArgs, BreakGlassGrant } from './break-glass.types';

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

  @FieldResolver(() => Subject, { nullable: true })
  async subject(@Root() grant: BreakGlassGrant, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.subjectsById.load(grant.subjectId))[0] ?? null;
  }
}
