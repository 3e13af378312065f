import { Args, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { changeUserRoles, enableUser, resetUserPassword } from './account.service';
import { ChangeUserRolesArgs, PasswordResetIssued, User, UserIdOnlyArgs } from './user.types';

@Resolver(() => User)
export class AccountResolver {
  @Authorized(Permission.MANAGE_USERS)
  @Mutation(() => User, { description: "ADMIN: enable a disabled user of the admin's own agency; they sign in afresh" })
  enableUser(@Ctx() ctx: GraphQLContext, @Args(() => UserIdOnlyArgs) { userId }: UserIdOnlyArgs) {
    return enableUser(ctx, userId);
  }

  @Authorized(Permission.MANAGE_USERS)
  @Mutation(() => User, {
    description:
      "ADMIN: set the roles of a user of the admin's own agency (never one's own). Removals apply at once and end the user's sessions; privileged roles added await a second administrator (a grant)",
  })
  changeUserRoles(@Ctx() ctx: GraphQLContext, @Args(() => ChangeUserRolesArgs) { userId, roles }: ChangeUserRolesArgs) {
    return changeUserRoles(ctx, userId, roles);
  }

  @Authorized(Permission.MANAGE_USERS)
  @Mutation(() => PasswordResetIssued, {
    description:
      "ADMIN: reset the password of a user of the admin's own agency: their sessions end, and they must set a new password with the one-time token returned this once",
  })
  resetUserPassword(@Ctx() ctx: GraphQLContext, @Args(() => UserIdOnlyArgs) { userId }: UserIdOnlyArgs) {
    return resetUserPassword(ctx, userId);
  }
}
