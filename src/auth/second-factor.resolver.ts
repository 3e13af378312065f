import { Args, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { User, UserIdOnlyArgs } from '../users/user.types';
import { AuthPayload } from './auth.types';
import { completeSecondFactor, confirmTotp, disableTotp, enrolTotp, resetUserTotp } from './second-factor.service';
import {
  CompleteSecondFactorArgs,
  DisableTotpArgs,
  EnrolTotpArgs,
  TotpCodeArgs,
  TotpConfirmation,
  TotpEnrolment,
} from './second-factor.types';

@Resolver()
export class SecondFactorResolver {
  @Authorized(Permission.MANAGE_OWN_ACCOUNT)
  @Mutation(() => TotpEnrolment, {
    description:
      'Start enrolling a TOTP second factor: the secret and otpauth:// URI, shown this once, pending until confirmTotp. Replacing an active one needs its current code.',
  })
  enrolTotp(@Ctx() ctx: GraphQLContext, @Args(() => EnrolTotpArgs) { code }: EnrolTotpArgs) {
    return enrolTotp(ctx, code);
  }

  @Authorized(Permission.MANAGE_OWN_ACCOUNT)
  @Mutation(() => TotpConfirmation, {
    description:
      "Confirm the pending TOTP enrolment with the app's current code: it becomes the second factor; returns recovery codes, shown this once",
  })
  confirmTotp(@Ctx() ctx: GraphQLContext, @Args(() => TotpCodeArgs) { code }: TotpCodeArgs) {
    return confirmTotp(ctx, code);
  }

  @Authorized(Permission.MANAGE_OWN_ACCOUNT)
  @Mutation(() => Boolean, { description: "Remove the caller's TOTP second factor, with a current code or a recovery code" })
  disableTotp(@Ctx() ctx: GraphQLContext, @Args(() => DisableTotpArgs) { code }: DisableTotpArgs) {
    return disableTotp(ctx, code);
  }

  @Authorized(Permission.SIGN_IN)
  @Mutation(() => AuthPayload, {
    description: "Finish a sign-in that needs a second factor: login's challenge with a TOTP code or a recovery code (works once)",
  })
  completeSecondFactor(
    @Ctx() ctx: GraphQLContext,
    @Args(() => CompleteSecondFactorArgs) { challenge, code, recoveryCode }: CompleteSecondFactorArgs,
  ) {
    return completeSecondFactor(ctx, challenge, code, recoveryCode);
  }

  @Authorized(Permission.MANAGE_USERS)
  @Mutation(() => User, {
    description:
      "ADMIN: remove the second factor of a user of the admin's own agency (never one's own): their sessions end; they sign in with their password and enrol again",
  })
  resetUserTotp(@Ctx() ctx: GraphQLContext, @Args(() => UserIdOnlyArgs) { userId }: UserIdOnlyArgs) {
    return resetUserTotp(ctx, userId);
  }
}
