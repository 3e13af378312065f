import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { PageArgs } from '../graphql/pagination';
import { Permission } from '../policy/permissions';
import {
  clearPartnerAppTrustedDocuments,
  listManagedPartnerApps,
  registerPartnerApp,
  revokePartnerApp,
  rotatePartnerAppSecret,
  setPartnerAppTrustedDocuments,
} from './partner-app.service';
import {
  PartnerApp,
  PartnerAppConnection,
  PartnerAppCredentials,
  PartnerAppIdArgs,
  RegisterPartnerAppInput,
  RevokePartnerAppArgs,
  RotatePartnerAppSecretArgs,
  SetTrustedDocumentsArgs,
} from './partner-app.types';

@Resolver(() => PartnerApp)
export class PartnerAppResolver {
  @Authorized(Permission.MANAGE_USERS)
  @Query(() => PartnerAppConnection, { description: "ADMIN: the admin's own agency's partner apps, newest first" })
  partnerApps(@Ctx() ctx: GraphQLContext, @Args(() => PageArgs) args: PageArgs) {
    return listManagedPartnerApps(ctx, args);
  }

  @Authorized(Permission.MANAGE_USERS)
  @Mutation(() => PartnerAppCredentials, {
    description: "ADMIN: register a partner app of the admin's own agency; its client secret is returned this once (docs/accounts.md)",
  })
  registerPartnerApp(@Ctx() ctx: GraphQLContext, @Arg('input', () => RegisterPartnerAppInput) input: RegisterPartnerAppInput) {
    return registerPartnerApp(ctx, input);
  }

  @Authorized(Permission.MANAGE_USERS)
  @Mutation(() => PartnerAppCredentials, {
    description: 'ADMIN: a new client secret, returned this once; the previous one keeps working for graceMinutes, then fails',
  })
  rotatePartnerAppSecret(
    @Ctx() ctx: GraphQLContext,
    @Args(() => RotatePartnerAppSecretArgs) { id, graceMinutes }: RotatePartnerAppSecretArgs,
  ) {
    return rotatePartnerAppSecret(ctx, id, graceMinutes);
  }

  @Authorized(Permission.MANAGE_USERS)
  @Mutation(() => PartnerApp, { description: 'ADMIN: revoke a partner app: it cannot sign in, and its tokens stop working at once' })
  revokePartnerApp(@Ctx() ctx: GraphQLContext, @Args(() => RevokePartnerAppArgs) { id, reason }: RevokePartnerAppArgs) {
    return revokePartnerApp(ctx, id, reason);
  }

  @Authorized(Permission.MANAGE_USERS)
  @Mutation(() => PartnerApp, {
    description:
      'ADMIN: allow the app only the operations of a persisted-query manifest (trusted documents); anything else is OPERATION_NOT_TRUSTED',
  })
  setPartnerAppTrustedDocuments(
    @Ctx() ctx: GraphQLContext,
    @Args(() => SetTrustedDocumentsArgs) { id, manifest }: SetTrustedDocumentsArgs,
  ) {
    return setPartnerAppTrustedDocuments(ctx, id, manifest);
  }

  @Authorized(Permission.MANAGE_USERS)
  @Mutation(() => PartnerApp, { description: 'ADMIN: remove the app’s trusted documents: it runs any operation its scopes allow again' })
  clearPartnerAppTrustedDocuments(@Ctx() ctx: GraphQLContext, @Args(() => PartnerAppIdArgs) { id }: PartnerAppIdArgs) {
    return clearPartnerAppTrustedDocuments(ctx, id);
  }
}
