import { Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Agency } from '../agencies/agency.types';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { Subject } from '../subjects/subject.types';
import { listAccessRequests, requestAccess } from './access-request.service';
import {
  AccessRequest,
  AccessRequestConnection,
  AccessRequestListArgs,
  Disclosure,
  DisclosureDecision,
  RequestAccessArgs,
} from './disclosure.types';

@Resolver(() => AccessRequest)
export class AccessRequestResolver {
  @Authorized(Permission.READ_ACCESS_REQUESTS)
  @Query(() => AccessRequestConnection, {
    description: 'Newest first: a police SUPERVISOR all; a safeguarding lead their agency’s; a practitioner their own',
  })
  accessRequests(@Ctx() ctx: GraphQLContext, @Args(() => AccessRequestListArgs) args: AccessRequestListArgs) {
    return listAccessRequests(ctx, args);
  }

  @Authorized(Permission.REQUEST_ACCESS)
  @Mutation(() => AccessRequest, {
    description:
      'Ask police for more about a subject known to your agency; a supervisor answers with discloseIntelligence or declineDisclosure (accessRequestId)',
  })
  requestAccess(@Ctx() ctx: GraphQLContext, @Args(() => RequestAccessArgs) { subjectId, reason, urgency }: RequestAccessArgs) {
    return requestAccess(ctx, subjectId, reason, urgency);
  }

  @FieldResolver(() => Agency)
  requesterAgency(@Root() request: AccessRequest, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders.agencyById.load(request.requesterAgencyId);
  }

  @FieldResolver(() => Subject, { nullable: true, description: 'Null when the caller may no longer read the subject' })
  async subject(@Root() request: AccessRequest, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.subjectsById.load(request.subjectId))[0] ?? null;
  }

  @FieldResolver(() => Disclosure, { nullable: true, description: 'The disclosure that answered it, while the caller may read it' })
  async disclosure(@Root() request: AccessRequest, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.disclosuresByAccessRequest.load(request.id))[0] ?? null;
  }

  @FieldResolver(() => DisclosureDecision, { nullable: true, description: 'The decision not to share that answered it, with the reason' })
  async declined(@Root() request: AccessRequest, @Ctx() ctx: GraphQLContext) {
    return (await ctx.loaders.declinesByAccessRequest.load(request.id))[0] ?? null;
  }
}
