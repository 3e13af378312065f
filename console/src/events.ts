import { isMissingFromSchema } from './api';
import type { Session } from './session';

/** An audit event as the console shows it; `actor` only where the service names actors. */
export interface AuditEvent {
  id: string;
  occurredAt: string;
  action: string;
  outcome: string;
  actorId: string | null;
  actorAgencyId: string | null;
  actorRoles: string[];
  actorKind: string | null;
  operationField: string | null;
  recordKind: string | null;
  recordCount: number;
  recordIds: string[];
  subjectIds: string[];
  reason: string | null;
  actor?: { displayName: string; roles: string[]; agency: { name: string } } | null;
}

export interface EventPage {
  edges: { node: AuditEvent }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

const BASE_FIELDS =
  'id occurredAt action outcome actorId actorAgencyId actorRoles actorKind operationField recordKind recordCount recordIds subjectIds reason';
const ACTOR_FIELDS = 'actor { displayName roles agency { name } }';

export const eventFields = (withActor: boolean) =>
  `edges { node { ${BASE_FIELDS}${withActor ? ` ${ACTOR_FIELDS}` : ''} } } pageInfo { hasNextPage endCursor } totalCount`;

/** Whether this service names actors (AuditEvent.actor); remembered once found out. */
let actorsNamed: boolean | undefined;

/**
 * Runs a query that selects events, asking for the actor's name where the service offers it; an
 * older service (no AuditEvent.actor) is asked again without it, and the page shows ids.
 */
export async function withActors<T>(session: Session, build: (fields: string) => string, variables: Record<string, unknown>): Promise<T> {
  if (actorsNamed !== false) {
    try {
      const result = await session.query<T>(build(eventFields(true)), variables);
      actorsNamed = true;
      return result;
    } catch (error) {
      if (!isMissingFromSchema(error) || actorsNamed === true) throw error;
      actorsNamed = false;
    }
  }
  return session.query<T>(build(eventFields(false)), variables);
}

export interface Agency {
  id: string;
  name: string;
  kind: string;
}

let agencies: Promise<Agency[]> | undefined;
export function loadAgencies(session: Session): Promise<Agency[]> {
  agencies ??= session.query<{ agencies: Agency[] }>('query Agencies { agencies { id name kind } }').then((r) => r.agencies);
  agencies.catch(() => (agencies = undefined));
  return agencies;
}

export function forgetCachedAgencies(): void {
  agencies = undefined;
}
