/** What an audit event records happening. */
export enum AuditAction {
  /** One record (or a record reached through another) returned by a query. */
  READ = 'READ',
  /** A list: its filters, the ids returned and the count. */
  LIST = 'LIST',
  /** A search: its text and filters, the ids returned and the count. */
  SEARCH = 'SEARCH',
  /** A mutation called (its outcome); each record it changes also gets a CHANGE event. */
  WRITE = 'WRITE',
  /** One record changed, written in the change's own transaction, pointing at its history entry. */
  CHANGE = 'CHANGE',
  LOGIN = 'LOGIN',
  REFRESH = 'REFRESH',
  LOGOUT = 'LOGOUT',
  DISCLOSE = 'DISCLOSE',
  DECLINE = 'DECLINE',
  REVOKE = 'REVOKE',
  ACCESS_REQUEST = 'ACCESS_REQUEST',
  BREAK_GLASS = 'BREAK_GLASS',
  /** A download of audit events (CSV or NDJSON). */
  EXPORT = 'EXPORT',
  /** An integrity check of the trail. */
  VERIFY = 'VERIFY',
  /** Aggregate figures (statistics): what was asked, not which records. */
  AGGREGATE = 'AGGREGATE',
  /** An HTTP request refused before its operation was read (the per-address rate limit, an oversized query). */
  REQUEST = 'REQUEST',
  /** A notice put in its recipients' inboxes (the service's own work: no actor). */
  NOTIFY = 'NOTIFY',
  /** One attempt to deliver a notice to a webhook endpoint (the service's own work: no actor). */
  DELIVER = 'DELIVER',
}

export enum AuditOutcome {
  ALLOWED = 'ALLOWED',
  /** Refused: FORBIDDEN, UNAUTHENTICATED, or a policy NOT_FOUND. */
  DENIED = 'DENIED',
  /** Allowed to try, but it failed (bad input, conflict, an internal error). */
  FAILED = 'FAILED',
}

/** A record an event concerns: its kind (see AUDITED_TYPES), id, and which fields went out or were withheld. */
export interface AuditedRecord {
  kind: string;
  id: string;
  fields?: string[];
  redacted?: string[];
  /** Named by the caller (an id argument) but not returned: counted in no total. */
  requested?: boolean;
  /** Named by a returned record's id field (a flag's `subjectId`) but not itself returned: counted in no total. */
  referenced?: boolean;
}

/** One event before the actor and request metadata are added. */
export interface AuditEventInput {
  action: AuditAction;
  outcome: AuditOutcome;
  reason?: string | null;
  operationField?: string | null;
  recordKind?: string | null;
  records: AuditedRecord[];
  /** Metadata only (filters, counts, field names, ids): never case content. */
  details: Record<string, unknown>;
}

/** Who acted, from which request: stamped on every event of the request. */
export interface AuditActor {
  actorId: string | null;
  actorKind: 'USER' | 'SERVICE' | null;
  actorAgencyId: string | null;
  actorRoles: string[];
  tokenId: string | null;
  requestId: string | null;
  operationName: string | null;
  documentHash: string | null;
  clientAddress: string | null;
  userAgent: string | null;
}

/**
 * The actor of work the service does for nobody (fanning out a notice, delivering a webhook):
 * no person, no token, no request; `operation` names the job.
 */
export function serviceWorkActor(operation: string, jobId: string | null = null): AuditActor {
  return {
    actorId: null,
    actorKind: null,
    actorAgencyId: null,
    actorRoles: [],
    tokenId: null,
    requestId: jobId,
    operationName: operation,
    documentHash: null,
    clientAddress: null,
    userAgent: null,
  };
}
