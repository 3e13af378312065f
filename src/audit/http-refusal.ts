import type { ErrorCode } from '../errors';
import type { RequestContext } from '../context/request-context';
import { AuditAction, AuditOutcome } from './audit-event';
import { auditActor } from './audit.service';
import { writeAuditEvents } from './audit.writer';

/** Codes that refuse the caller (DENIED); any other refusal is a FAILED attempt. */
const DENYING = new Set<string>(['RATE_LIMITED', 'UNAUTHENTICATED', 'FORBIDDEN', 'OPERATION_NOT_TRUSTED']);

/**
 * The event of an HTTP request refused before GraphQL read it (so before the audit plugin): who
 * (if the token says), from where, which path, and why. Throws if it cannot be written.
 */
export async function auditHttpRefusal(
  ctx: RequestContext,
  request: { method: string; path: string },
  code: ErrorCode,
  details: Record<string, unknown> = {},
): Promise<void> {
  await writeAuditEvents(ctx.db, { ...auditActor(ctx), operationName: null }, [
    {
      action: AuditAction.REQUEST,
      outcome: DENYING.has(code) ? AuditOutcome.DENIED : AuditOutcome.FAILED,
      reason: code,
      operationField: null,
      records: [],
      details: { method: request.method, path: request.path, ...details },
    },
  ]);
}
