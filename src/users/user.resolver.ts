import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { PageArgs } from '../graphql/pagination';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { createUser, disableUser, listUsers } from './user.service';
import { CreateUserInput, User, UserConnection, UserIdArgs } from './user.types';

@Resolver(() => User)
export class UserResolver {
  @Authorized(Permission.MANAGE_USERS)
  @Query(() => UserConnection, { description: "ADMIN: the admin's own agency's users, newest first" })
  users(@Ctx() ctx: GraphQLContext, @Args(() => PageArgs) args: PageArgs) {
    return listUsers(ctx, args);
  }

  @Authorized(Permission.MANAGE_USERS)
  @Mutation(() => User, { description: "ADMIN: create a user in the admin's own agency" })
  createUser(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateUserInput) input: CreateUserInput) {
    return createUser(ctx, input);
  }

  @Authorized(Permission.MANAGE_USERS)
  @Mutation(() => User, { description: "ADMIN: disable a user of the admin's own agency; their tokens stop working" })
  disableUser(@Ctx() ctx: GraphQLContext, @Args(() => UserIdArgs) { id }: UserIdArgs) {
    return disableUser(ctx, id);
  }
}
