import { Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { Permission } from '../policy/permissions';
import { accessAnomalies, auditCheckpoint, auditEvents, subjectAccessHistory, verifyTrail } from './audit.service';
import {
  AccessAnomaliesArgs,
  AccessAnomaly,
  AuditCheckpoint,
  AuditEventConnection,
  AuditEventsArgs,
  AuditRangeArgs,
  AuditVerification,
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
  @Query(() => AuditEventConnection, { description: 'Every access to this subject’s records, newest first' })
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
}
