import { Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { StaffMember } from '../users/staff-directory.types';
import { reviewAccessAnomaly } from './anomaly-review.service';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { accessAnomalies, auditAccessesPerDay, auditCheckpoint, auditEvents, subjectAccessHistory, verifyTrail } from './audit.service';
import {
  AccessAnomaliesArgs,
  AccessAnomaly,
  AuditAccessesPerDayArgs,
  AuditCheckpoint,
  AuditDayCount,
  AuditEvent,
  AuditEventConnection,
  AuditEventsArgs,
  AuditRangeArgs,
  AuditVerification,
  ReviewArgs,
  SubjectAccessHistoryArgs,
} from './audit.types';

@Resolver()
export class AuditResolver {
  @Authorized(Permission.READ_AUDIT)
  @Query(() => AuditEventConnection, { description: 'Audit events within the auditor’s scope, newest first' })
  auditEvents(@Ctx() ctx: GraphQLContext, @Args(() => AuditEventsArgs) args: AuditEventsArgs) {
    return auditEvents(ctx, args);
  }

  @Authorized(Permission.READ_AUDIT)
  @Query(() => AuditEventConnection, {
    description: 'Every access to this subject’s records, newest first: by subjectId or by an identifier (exactly one)',
  })
  subjectAccessHistory(@Ctx() ctx: GraphQLContext, @Args(() => SubjectAccessHistoryArgs) args: SubjectAccessHistoryArgs) {
    return subjectAccessHistory(ctx, args);
  }

  @Authorized(Permission.READ_AUDIT)
  @Query(() => AuditVerification, {
    description:
      'Seals settled events, then checks the hash chain (and that an earlier checkpoint is still in it); names the first bad event',
  })
  verifyAuditTrail(@Ctx() ctx: GraphQLContext, @Args(() => AuditRangeArgs) args: AuditRangeArgs) {
    return verifyTrail(ctx, args);
  }

  @Authorized(Permission.READ_AUDIT)
  @Query(() => AuditCheckpoint, {
    description: 'Seals settled events, then a signed statement of the newest seal, to keep outside Safeshare',
  })
  auditCheckpoint(@Ctx() ctx: GraphQLContext) {
    return auditCheckpoint(ctx);
  }

  @Authorized(Permission.READ_AUDIT)
  @Query(() => [AccessAnomaly], { description: 'Reads far above a user’s or role’s norm, break-glass uses, after-hours bulk reads' })
  accessAnomalies(@Ctx() ctx: GraphQLContext, @Args(() => AccessAnomaliesArgs) args: AccessAnomaliesArgs) {
    return accessAnomalies(ctx, args);
  }

  @Authorized(Permission.READ_AUDIT)
  @Query(() => [AuditDayCount], {
    description: 'Accesses (reads, lists, searches, exports, and every refusal) per UTC day, actor agency and outcome, within your scope',
  })
  auditAccessesPerDay(@Ctx() ctx: GraphQLContext, @Args(() => AuditAccessesPerDayArgs) args: AuditAccessesPerDayArgs) {
    return auditAccessesPerDay(ctx, args);
  }

  @Authorized(Permission.READ_AUDIT)
  @Mutation(() => AccessAnomaly, {
    description: 'Review an anomaly: JUSTIFIED, NOT_JUSTIFIED or REFERRED, with a note. Once; never your own.',
  })
  reviewAccessAnomaly(@Ctx() ctx: GraphQLContext, @Args(() => ReviewArgs) { id, outcome, note }: ReviewArgs) {
    return reviewAccessAnomaly(ctx, id, outcome, note);
  }
}

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  @FieldResolver(() => StaffMember, {
    nullable: true,
    description: 'Who acted, from the staff directory (null outside your directory scope, or for the service’s own work)',
  })
  actor(@Root() event: AuditEvent, @Ctx() ctx: GraphQLContext) {
    return event.actorId ? ctx.loaders.staffById.load(event.actorId) : null;
  }
}

@Resolver(() => AccessAnomaly)
export class AccessAnomalyResolver {
  @FieldResolver(() => StaffMember, {
    nullable: true,
    description: 'Who reviewed it (null until reviewed, or outside your directory scope)',
  })
  reviewedBy(@Root() anomaly: AccessAnomaly, @Ctx() ctx: GraphQLContext) {
    return anomaly.reviewedByUserId ? ctx.loaders.staffById.load(anomaly.reviewedByUserId) : null;
  }
}
