import { AnomalyKind } from './audit.enums';

/**
 * A computed anomaly's stable id, so a review can name it: base64url of JSON
 * `[kind, actorId, "e", occurredAtMs, eventId]` for an anomaly anchored on one moment (a break-glass,
 * a bulk read after hours, a grant chain's closing request) and `[kind, actorId, "p", fromMs, toMs]`
 * for a volume compared with a norm over the period asked. The same anomaly gets the same id in
 * every list that finds it; the id says where to look again (`windowOf`), so a review recomputes the
 * anomaly within the reviewer's scope rather than trusting the id.
 */
const PERIOD_KINDS = new Set<AnomalyKind>([AnomalyKind.ABOVE_OWN_NORM, AnomalyKind.ABOVE_ROLE_NORM]);

interface Anchored {
  kind: AnomalyKind;
  actorId: string;
  eventId: string | null;
  occurredAt: Date | null;
}

export function anomalyId(a: Anchored, from: Date, to: Date): string {
  const parts =
    PERIOD_KINDS.has(a.kind) || !a.occurredAt
      ? [a.kind, a.actorId, 'p', from.getTime(), to.getTime()]
      : // A grant chain's first in-scope event varies with the reader's scope: its moment does not.
        [a.kind, a.actorId, 'e', a.occurredAt.getTime(), a.kind === AnomalyKind.GRANT_CHAIN ? null : a.eventId];
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export interface AnomalyRef {
  kind: AnomalyKind;
  actorId: string;
  eventId: string | null;
  /** The period to search again for it. */
  from: Date;
  to: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** What an id names, or null for anything this module did not make. */
export function parseAnomalyId(id: string): AnomalyRef | null {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parts) || parts.length !== 5) return null;
  const [kind, actorId, anchor, a, b] = parts as unknown[];
  if (!Object.values(AnomalyKind).includes(kind as AnomalyKind) || typeof actorId !== 'string' || !UUID.test(actorId)) return null;
  if (anchor === 'p' && isTime(a) && isTime(b) && a < b) {
    return { kind: kind as AnomalyKind, actorId, eventId: null, from: new Date(a), to: new Date(b) };
  }
  if (anchor === 'e' && isTime(a) && (b === null || (typeof b === 'string' && /^\d{1,19}$/.test(b)))) {
    // Milliseconds either side: the database keeps microseconds.
    return { kind: kind as AnomalyKind, actorId, eventId: b, from: new Date(a - 1), to: new Date(a + 2) };
  }
  return null;
}
