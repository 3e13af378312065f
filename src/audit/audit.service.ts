import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../graphql/context';
import type { RecordChange } from '../history/history.service';

/** Writes the audit event of one change in the change's own transaction. */
export async function recordChangeAudit(_tx: EntityManager, _ctx: RequestContext, _change: RecordChange, _historyId: string): Promise<void> {
  // Filled in by the audit trail work in this session.
}
