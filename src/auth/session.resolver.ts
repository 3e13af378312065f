import { Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { PageArgs } from '../graphql/pagination';
import { Permission } from '../policy/permissions';
import { mySessions, revokeSession, userSessions } from './session.service';
import { AuthSessionConnection, AuthSessionView, SessionIdArgs, UserSessionsArgs } from './session.types';

@Resolver(() => AuthSessionView)
export class SessionResolver {
  @Authorized(Permission.MANAGE_OWN_ACCOUNT)
  @Query(() => AuthSessionConnection, { description: "The caller's own live sign-in sessions, newest first" })
  mySessions(@Ctx() ctx: GraphQLContext, @Args(() => PageArgs) args: PageArgs) {
    return mySessions(ctx, args);
  }

  @Authorized(Permission.MANAGE_USERS)
  @Query(() => AuthSessionConnection, { description: "ADMIN: the live sessions of a user of the admin's own agency, newest first" })
  userSessions(@Ctx() ctx: GraphQLContext, @Args(() => UserSessionsArgs) { userId, ...page }: UserSessionsArgs) {
    return userSessions(ctx, userId, page);
  }

  @Authorized(Permission.MANAGE_OWN_ACCOUNT)
  @Mutation(() => Boolean, {
    description: "End a live session: one's own, or (ADMIN) one of a user of the admin's own agency; its tokens stop working at once",
  })
  revokeSession(@Ctx() ctx: GraphQLContext, @Args(() => SessionIdArgs) { id }: SessionIdArgs) {
    return revokeSession(ctx, id);
  }
}
