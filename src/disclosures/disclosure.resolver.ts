import { Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Agency } from '../agencies/agency.types';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { Subject } from '../subjects/subject.types';
import { declineDisclosure, discloseIntelligence, listDisclosures, revokeDisclosure } from './disclosure.service';
import {
  DeclineArgs,
  DiscloseArgs,
  Disclosure,
  DisclosureConnection,
  DisclosureDecision,
  DisclosureListArgs,
  RevokeDisclosureArgs,
} from './disclosure.types';

@Resolver(() => Disclosure)
export class DisclosureResolver {
  @Authorized(Permission.READ_DISCLOSURES)
  @Query(() => DisclosureConnection, {
    description: 'Newest first: police readers all; a recipient agency’s practitioners those to it, only while ACTIVE',
  })
  disclosures(@Ctx() ctx: GraphQLContext, @Args(() => DisclosureListArgs) args: DisclosureListArgs) {
    return listDisclosures(ctx, args);
  }

  @Authorized(Permission.DISCLOSE_INTELLIGENCE)
  @Mutation(() => Disclosure, {
    description:
      'Police SUPERVISOR: share a sanitised summary of a graded report with a named agency until expiresAt. Handling code C needs conditions; OFFICIAL_SENSITIVE needs acknowledgeSensitive. With accessRequestId it answers that request.',
  })
  discloseIntelligence(@Ctx() ctx: GraphQLContext, @Args(() => DiscloseArgs) { input }: DiscloseArgs) {
    return discloseIntelligence(ctx, input);
  }

  @Authorized(Permission.DISCLOSE_INTELLIGENCE)
  @Mutation(() => DisclosureDecision, {
    description: 'Police SUPERVISOR: record a decision not to share; with accessRequestId it declines that request',
  })
  declineDisclosure(@Ctx() ctx: GraphQLContext, @Args(() => DeclineArgs) { input }: DeclineArgs) {
    return declineDisclosure(ctx, input);
  }

  @Authorized(Permission.DISCLOSE_INTELLIGENCE)
  @Mutation(() => Disclosure, { description: 'Police SUPERVISOR: end an ACTIVE disclosure now, with a reason' })
  revokeDisclosure(@Ctx() ctx: GraphQLContext, @Args(() => RevokeDisclosureArgs) { id, reason }: RevokeDisclosureArgs) {
    return revokeDisclosure(ctx, id, reason);
  }

  @FieldResolver(() => Agency)
  recipientAgency(@Root() disclosure: Disclosure, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.agencyById.load(disclosure.recipientAgencyId);
  }

  @FieldResolver(() => [Subject], { description: 'The subjects of the disclosed report that the caller may read' })
  subjects(@Root() disclosure: Disclosure, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.subjectsByDisclosure.load(disclosure.id);
  }
}

@Resolver(() => DisclosureDecision)
export class DisclosureDecisionResolver {
  @FieldResolver(() => Agency)
  recipientAgency(@Root() decision: DisclosureDecision, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.agencyById.load(decision.recipientAgencyId);
  }
}
