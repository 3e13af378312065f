import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../graphql/context';
import { recordChangeAudit } from '../audit/audit.service';

export type RecordKind =
  | 'intelligence_report'
  | 'subject'
  | 'flag'
  | 'crime'
  | 'involvement'
  | 'disclosure'
  | 'disclosure_decision'
  | 'access_request'
  | 'break_glass_grant';

export interface RecordChange {
  kind: RecordKind;
  id: string;
  action: string;
  before: object | null;
  after: object | null;
}

/**
 * Appends one change (who, when, before, after) to the record's history and its audit event, both in
 * the caller's transaction: if either cannot be written, the change does not happen.
 */
export async function recordChange(tx: EntityManager, ctx: RequestContext, change: RecordChange): Promise<void> {
  const actor = ctx.principal;
  if (!actor) throw new Error('a change needs a signed-in actor');
  const [{ id: historyId }] = await tx.query<[{ id: string }]>(
    `INSERT INTO record_history (record_kind, record_id, action, actor_id, actor_agency_id, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [change.kind, change.id, change.action, actor.id, actor.agency.id, jsonOrNull(change.before), jsonOrNull(change.after)],
  );
  await recordChangeAudit(tx, ctx, change, historyId);
}

const jsonOrNull = (value: object | null) => (value === null ? null : JSON.stringify(value));
