import type { RequestContext } from '../context/request-context';
import type { RecordChange } from '../history/record-change';
import { type AuditActor, AuditAction, AuditOutcome } from './audit-event';
import { writeAuditEvents } from './audit.writer';
import { badInput, notFound } from '../errors';
import type { Page } from '../db/paging';
import { authorize } from '../policy/authorize';
import { auditReadScope, identifierLookupScope } from '../policy/audit';
import { Permission } from '../policy/permissions';
import { requireScope } from '../policy/records';
import { accessesPerDay, concernsAnySubject, findAnomalies, listAuditEvents, subjectsByIdentifierInScope } from './audit.queries';
import { withReviews } from './anomaly-reviews';
import type { AgencyKind } from '../agencies/agency-kind';
import type {
  AccessAnomaliesArgs,
  AccessAnomaly,
  AuditAccessesPerDayArgs,
  AuditDayCount,
  AuditEvent,
  AuditEventsArgs,
  AuditRangeArgs,
  AuditVerification,
  SubjectAccessHistoryArgs,
} from './audit.types';
import { sealAuditTrail, verifyAuditTrail } from './seal';
import { acceptCheckpoint, CheckpointRefused, type IssuedCheckpoint, issueCheckpoint } from './checkpoint';
import { type AuditKeyRing, buildAuditKeyRing } from './signing-keys';
import type { AuditSigningConfig } from '../config';
import { AppError, ErrorCode } from '../errors';

/** The actor and request metadata stamped on every event of this request. */
export function auditActor(ctx: RequestContext): AuditActor {
  const p = ctx.principal;
  const signedIn = ctx.audit.signedIn;
  return {
    actorId: p?.id ?? signedIn?.id ?? null,
    actorKind: p?.kind ?? signedIn?.kind ?? null,
    actorAgencyId: p?.agency.id ?? signedIn?.agencyId ?? null,
    actorRoles: p ? [...p.roles, ...p.scopes] : (signedIn?.roles ?? []),
    tokenId: p?.tokenId ?? signedIn?.tokenId ?? null,
    requestId: ctx.requestId,
    operationName: ctx.audit.operationName,
    documentHash: ctx.audit.documentHash,
    clientAddress: ctx.clientAddress ?? null,
    userAgent: ctx.userAgent ?? null,
  };
}

/** Top-level fields whose values differ between two versions of a record (names only, no content). */
function changedFields(before: object | null, after: object | null): string[] {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
  return [...keys].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k])).sort();
}

/**
 * Writes the audit events of changes in the changes' own transaction, so a change that cannot be
 * audited does not happen. The values stay in the record's history (`historyId`); an event names
 * only the fields that changed, so auditors see who changed what without reading case content.
 */
export async function recordChangesAudit(
  ctx: RequestContext,
  changes: readonly { change: RecordChange; historyId: string }[],
): Promise<void> {
  await writeAuditEvents(
    ctx.db,
    auditActor(ctx),
    changes.map(({ change, historyId }) => ({
      action: AuditAction.CHANGE,
      outcome: AuditOutcome.ALLOWED,
      operationField: change.action,
      records: [{ kind: change.kind, id: change.id }],
      details: { change: change.action, historyId, changedFields: changedFields(change.before, change.after) },
    })),
  );
}

function scopeFor(ctx: RequestContext) {
  return requireScope(auditReadScope(authorize(ctx, Permission.READ_AUDIT)));
}

/** Audit events within the auditor's scope, newest first. */
export function auditEvents(ctx: RequestContext, args: AuditEventsArgs): Promise<Page<AuditEvent>> {
  const scope = scopeFor(ctx);
  checkRange(args.filter?.from, args.filter?.to);
  return listAuditEvents(ctx.db, 'auditEvents', scope, args.filter, args);
}

/**
 * Who has accessed this subject's records, when, through which operation, and whether allowed. By
 * id, or by an identifier (matched exactly in SQL, trimmed): a subject no event within the
 * auditor's scope concerns is NOT_FOUND, as is an identifier nobody has. Events only, never content.
 */
export async function subjectAccessHistory(ctx: RequestContext, args: SubjectAccessHistoryArgs): Promise<Page<AuditEvent>> {
  const scope = scopeFor(ctx);
  const identifier = args.identifier?.trim();
  if ((args.subjectId == null) === (args.identifier == null)) throw badInput('Give exactly one of subjectId and identifier', 'identifier');
  if (args.subjectId != null) return listAuditEvents(ctx.db, 'subjectAccessHistory', scope, { subjectId: args.subjectId }, args);
  if (!identifier) throw badInput('identifier must not be blank', 'identifier');
  const subjects = await subjectsByIdentifierInScope(
    ctx.db,
    scope,
    requireScope(identifierLookupScope(authorize(ctx, Permission.READ_AUDIT))),
    identifier,
  );
  if (subjects.length === 0) throw notFound('Subject', 'identifier');
  return listAuditEvents(ctx.db, 'subjectAccessHistory', scope, {}, args, [concernsAnySubject(subjects)]);
}

const MAX_PERIOD_MS = 366 * 86_400_000;

/** Accesses (records handed out, and refusals) per UTC day, actor agency and outcome, within the auditor's scope. */
export async function auditAccessesPerDay(ctx: RequestContext, args: AuditAccessesPerDayArgs): Promise<AuditDayCount[]> {
  const scope = scopeFor(ctx);
  if (args.from >= args.to) throw badInput('from must be before to', 'from');
  if (args.to.getTime() - args.from.getTime() > MAX_PERIOD_MS) throw badInput('The period may be at most 366 days', 'to');
  const rows = await accessesPerDay(ctx.db, scope, args.from, args.to, args.agencyId);
  return rows.map((r) => ({
    day: r.day,
    agency: r.agency_id ? { id: r.agency_id, name: r.agency_name ?? '', kind: r.agency_kind as AgencyKind } : null,
    outcome: r.outcome,
    count: r.count,
  }));
}

const keyRings = new WeakMap<AuditSigningConfig, AuditKeyRing>();
/** The service's checkpoint keys, parsed once per configuration. */
function auditKeys(ctx: RequestContext): AuditKeyRing {
  let ring = keyRings.get(ctx.config.auditSigning);
  if (!ring) keyRings.set(ctx.config.auditSigning, (ring = buildAuditKeyRing(ctx.config.auditSigning)));
  return ring;
}

/**
 * Seals what has settled, then checks the whole chain and the events of [from, to). With a checkpoint:
 * first its signature (a key of this service, current or retired) and trail, then that its seal is
 * still there, unchanged, chained to the newest.
 */
export async function verifyTrail(ctx: RequestContext, range: AuditRangeArgs): Promise<AuditVerification> {
  scopeFor(ctx);
  checkRange(range.from, range.to);
  let anchor;
  if (range.checkpoint) {
    try {
      anchor = await acceptCheckpoint(ctx.db, range.checkpoint, auditKeys(ctx));
    } catch (error) {
      if (error instanceof CheckpointRefused) throw badInput(`Checkpoint refused: ${error.message}`, 'checkpoint');
      throw error;
    }
  }
  await sealAuditTrail(ctx.db);
  return verifyAuditTrail(ctx.db, { from: range.from, to: range.to }, anchor);
}

/** Seals what has settled, then signs a statement of the newest seal (see docs/audit.md, checkpoints). */
export async function auditCheckpoint(ctx: RequestContext): Promise<IssuedCheckpoint> {
  scopeFor(ctx);
  const keys = auditKeys(ctx);
  if (!keys.signing) {
    throw new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'Audit checkpoints are not configured on this server (AUDIT_SIGNING_KEY)');
  }
  await sealAuditTrail(ctx.db);
  return issueCheckpoint(ctx.db, keys);
}

const MAX_ANOMALY_PERIOD_MS = 366 * 86_400_000;

/** Unusual access in the period, each with its stable id and, within the reviewer's scope, its review. */
export async function accessAnomalies(ctx: RequestContext, args: AccessAnomaliesArgs): Promise<AccessAnomaly[]> {
  const principal = authorize(ctx, Permission.READ_AUDIT);
  const scope = scopeFor(ctx);
  checkRange(args.from, args.to);
  if (args.to.getTime() - args.from.getTime() > MAX_ANOMALY_PERIOD_MS) throw badInput('The period may be at most a year', 'to');
  const found = await findAnomalies(ctx.db, scope, args.from, args.to, args.factor ?? 3);
  return withReviews(ctx, principal, found, args.from, args.to);
}

function checkRange(from: Date | undefined, to: Date | undefined): void {
  if (from && to && from >= to) throw badInput('from must be before to', 'from');
}
