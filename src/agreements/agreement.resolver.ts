import { Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Agency } from '../agencies/agency.types';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { changeAgreementStatus, listAgreements, registerAgreement, reviewAgreement } from './agreement.service';
import {
  AgreementListArgs,
  ChangeAgreementStatusArgs,
  InformationSharingAgreement,
  InformationSharingAgreementConnection,
  RegisterAgreementArgs,
  ReviewAgreementArgs,
} from './agreement.types';

@Resolver(() => InformationSharingAgreement)
export class AgreementResolver {
  @Authorized(Permission.READ_AGREEMENTS)
  @Query(() => InformationSharingAgreementConnection, {
    description:
      'The register of information-sharing agreements, newest registered first: police SUPERVISOR, OVERSIGHT ADMIN and AUDITOR all; anyone else those its agency is a party to (not drafts)',
  })
  informationSharingAgreements(@Ctx() ctx: GraphQLContext, @Args(() => AgreementListArgs) args: AgreementListArgs) {
    return listAgreements(ctx, args);
  }

  @Authorized(Permission.MANAGE_AGREEMENTS)
  @Mutation(() => InformationSharingAgreement, {
    description: 'Police SUPERVISOR or OVERSIGHT ADMIN: register an agreement (DRAFT or ACTIVE)',
  })
  registerAgreement(@Ctx() ctx: GraphQLContext, @Args(() => RegisterAgreementArgs) { input }: RegisterAgreementArgs) {
    return registerAgreement(ctx, input);
  }

  @Authorized(Permission.MANAGE_AGREEMENTS)
  @Mutation(() => InformationSharingAgreement, {
    description: 'Police SUPERVISOR or OVERSIGHT ADMIN: start, suspend, resume or end an agreement, with a reason',
  })
  changeAgreementStatus(
    @Ctx() ctx: GraphQLContext,
    @Args(() => ChangeAgreementStatusArgs) { id, status, reason }: ChangeAgreementStatusArgs,
  ) {
    return changeAgreementStatus(ctx, id, status, reason);
  }

  @Authorized(Permission.MANAGE_AGREEMENTS)
  @Mutation(() => InformationSharingAgreement, {
    description: 'Police SUPERVISOR or OVERSIGHT ADMIN: record an agreement’s review and its next review date',
  })
  reviewAgreement(@Ctx() ctx: GraphQLContext, @Args(() => ReviewAgreementArgs) { id, nextReviewOn, note }: ReviewAgreementArgs) {
    return reviewAgreement(ctx, id, nextReviewOn, note);
  }

  @FieldResolver(() => [Agency], { description: 'The agencies that are parties' })
  async parties(@Root() agreement: InformationSharingAgreement, @Ctx() ctx: GraphQLContext) {
    const agencies = await ctx.loaders.agencyById.loadMany(agreement.partyAgencyIds);
    return agencies.filter((a) => a != null && !(a instanceof Error));
  }
}
