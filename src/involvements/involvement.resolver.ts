import { Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Agency } from '../agencies/agency.types';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { endInvolvement, listInvolvements, registerInvolvement } from './involvement.service';
import { EndInvolvementArgs, Involvement, InvolvementConnection, InvolvementListArgs, RegisterInvolvementArgs } from './involvement.types';

@Resolver(() => Involvement)
export class InvolvementResolver {
  @Authorized(Permission.READ_INVOLVEMENTS)
  @Query(() => InvolvementConnection, { description: 'Newest first: police readers all, care agencies their own' })
  involvements(@Ctx() ctx: GraphQLContext, @Args(() => InvolvementListArgs) args: InvolvementListArgs) {
    return listInvolvements(ctx, args);
  }

  @Authorized(Permission.REGISTER_INVOLVEMENTS)
  @Mutation(() => Involvement, {
    description:
      'Register your agency’s involvement (a pupil on roll, an open case) with a lawful basis. The subject must be known to your agency, or input.identifier must match the identifier your agency issues.',
  })
  registerInvolvement(@Ctx() ctx: GraphQLContext, @Args(() => RegisterInvolvementArgs) { subjectId, input }: RegisterInvolvementArgs) {
    return registerInvolvement(ctx, subjectId, input);
  }

  @Authorized(Permission.MANAGE_INVOLVEMENTS)
  @Mutation(() => Involvement, { description: 'SAFEGUARDING_LEAD: end your agency’s involvement, with a reason' })
  endInvolvement(@Ctx() ctx: GraphQLContext, @Args(() => EndInvolvementArgs) { id, reason }: EndInvolvementArgs) {
    return endInvolvement(ctx, id, reason);
  }

  @FieldResolver(() => Agency)
  agency(@Root() involvement: Involvement, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.agencyById.load(involvement.agencyId);
  }
}
