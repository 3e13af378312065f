import type { AuditedRecord } from '../audit/audit-event';

/** Who signed in during this request (login, refresh): the actor of its events, having had no token. */
export interface SignedInActor {
  id: string;
  kind: 'USER' | 'SERVICE';
  agencyId: string;
  roles: string[];
  /** Null for the password step of a sign-in with a second factor: no token was issued yet. */
  tokenId: string | null;
}

/** One root field of the operation (one event): what it returned and how it ended. */
export interface RootFieldAccess {
  field: string;
  mutation: boolean;
  connection: boolean;
  args: Record<string, unknown>;
  records: Map<string, AuditedRecord & { fields: string[] }>;
  error?: unknown;
  /** Set when the operation was refused before any field ran: the root fields it asked for. */
  refusedRootFields?: string[];
}

/** What a request has accessed so far; written as audit events before its response leaves. */
export class RequestAudit {
  signedIn?: SignedInActor;
  operationName: string | null = null;
  /** sha256 of the GraphQL document: which query ran, without storing its text. */
  documentHash: string | null = null;
  /** Keyed by response key (alias or field name). */
  readonly roots = new Map<string, RootFieldAccess>();
}
