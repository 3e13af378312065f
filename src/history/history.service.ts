import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';

export type RecordKind = 'intelligence_report' | 'subject' | 'flag' | 'crime';

/** Appends one change (who, when, before, after) in the caller's transaction. */
export async function recordChange(
  tx: EntityManager,
  actor: Principal,
  change: { kind: RecordKind; id: string; action: string; before: object | null; after: object | null },
): Promise<void> {
  await tx.query(
    `INSERT INTO record_history (record_kind, record_id, action, actor_id, actor_agency_id, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [change.kind, change.id, change.action, actor.id, actor.agency.id, jsonOrNull(change.before), jsonOrNull(change.after)],
  );
}

const jsonOrNull = (value: object | null) => (value === null ? null : JSON.stringify(value));
