import { Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { mustEnrolSecondFactor } from '../policy/second-factor';
import { exchangeToken, login, logout, refresh, serviceToken } from './auth.service';
import { completePasswordReset } from './password-reset.service';
import {
  AuthPayload,
  CompletePasswordResetArgs,
  SignInResult,
  ExchangeTokenArgs,
  LoginArgs,
  PrincipalKindEnum,
  PrincipalType,
  RefreshArgs,
  ServiceTokenArgs,
} from './auth.types';

@Resolver()
export class AuthResolver {
  @Authorized(Permission.SIGN_IN)
  @Mutation(() => AuthPayload, { description: 'Sign in with email and password' })
  login(@Ctx() ctx: GraphQLContext, @Args(() => LoginArgs) { email, password }: LoginArgs) {
    return login(ctx, email, password);
  }

  @Authorized(Permission.SIGN_IN)
  @Mutation(() => AuthPayload, { description: 'Exchange a refresh token (single use) for new tokens' })
  refreshToken(@Ctx() ctx: GraphQLContext, @Args(() => RefreshArgs) args: RefreshArgs) {
    return refresh(ctx, args.refreshToken);
  }

  @Authorized(Permission.SIGNED_IN)
  @Mutation(() => Boolean, { description: "End the caller's session: its access and refresh tokens stop working" })
  logout(@Ctx() ctx: GraphQLContext) {
    return logout(ctx);
  }

  @Authorized(Permission.SIGN_IN)
  @Mutation(() => AuthPayload, { description: "A partner app's access token, from its client id and secret" })
  serviceToken(@Ctx() ctx: GraphQLContext, @Args(() => ServiceTokenArgs) { clientId, clientSecret }: ServiceTokenArgs) {
    return serviceToken(ctx, clientId, clientSecret);
  }

  @Authorized(Permission.SIGN_IN)
  @Mutation(() => AuthPayload, {
    description: "Sign in with a token from the caller's agency identity provider (a trusted issuer); roles come from Safeshare",
  })
  exchangeToken(@Ctx() ctx: GraphQLContext, @Args(() => ExchangeTokenArgs) { idToken }: ExchangeTokenArgs) {
    return exchangeToken(ctx, idToken);
  }

  @Authorized(Permission.SIGN_IN)
  @Mutation(() => SignInResult, {
    description:
      'Set a new password with the one-time token from resetUserPassword, and sign in (a TOTP-enrolled user gets a second-factor challenge)',
  })
  completePasswordReset(@Ctx() ctx: GraphQLContext, @Args(() => CompletePasswordResetArgs) args: CompletePasswordResetArgs) {
    return completePasswordReset(ctx, args.resetToken, args.newPassword);
  }

  @Authorized(Permission.SIGNED_IN)
  @Query(() => PrincipalType, { description: 'The caller' })
  me(@Ctx() ctx: GraphQLContext): PrincipalType {
    const principal = authorize(ctx, Permission.SIGNED_IN);
    return {
      ...principal,
      kind: PrincipalKindEnum[principal.kind],
      secondFactor: principal.secondFactor ?? false,
      secondFactorRequired: mustEnrolSecondFactor(principal, ctx.config.accounts.totpRequiredRoles),
    };
  }
}
