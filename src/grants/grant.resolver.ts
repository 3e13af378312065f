import { Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { PageArgs } from '../graphql/pagination';
import { Permission } from '../policy/permissions';
import { approveGrant, pendingGrants, rejectGrant } from './grant.service';
import { Grant, GrantConnection, GrantIdArgs, RejectGrantArgs } from './grant.types';

@Resolver(() => Grant)
export class GrantResolver {
  @Authorized(Permission.DECIDE_GRANTS)
  @Query(() => GrantConnection, {
    description: 'ADMIN: pending grants it requested or may decide by agency, newest first; canDecide marks those it may decide',
  })
  pendingGrants(@Ctx() ctx: GraphQLContext, @Args(() => PageArgs) args: PageArgs) {
    return pendingGrants(ctx, args);
  }

  @Authorized(Permission.DECIDE_GRANTS)
  @Mutation(() => Grant, { description: 'ADMIN: approve a pending grant another administrator requested; it comes into force' })
  approveGrant(@Ctx() ctx: GraphQLContext, @Args(() => GrantIdArgs) { id }: GrantIdArgs) {
    return approveGrant(ctx, id);
  }

  @Authorized(Permission.DECIDE_GRANTS)
  @Mutation(() => Grant, { description: 'ADMIN: reject a pending grant another administrator requested, saying why' })
  rejectGrant(@Ctx() ctx: GraphQLContext, @Args(() => RejectGrantArgs) { id, reason }: RejectGrantArgs) {
    return rejectGrant(ctx, id, reason);
  }
}
