import type { Client } from 'pg';

/** Tables that change without any request (statistics folding) or must (failed sign-ins count). */
const UNTRACKED = /^(audit_|report_count_deltas|report_daily_counts|report_monthly_counts|sign_in_throttles|migrations|test_)/;

/** A digest of every row of every case, account and session table: equal digests, nothing changed. */
export async function stateDigest(owner: Client): Promise<Record<string, string>> {
  const tables = (await owner.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows
    .map((r) => r.t)
    .filter((t) => !UNTRACKED.test(t));
  const digest: Record<string, string> = {};
  for (const t of tables) {
    const [row] = (await owner.query<{ d: string }>(`SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS d FROM ${t} x`))
      .rows;
    digest[t] = row.d;
  }
  return digest;
}

/** Where a request's own audit event is made to fail: its INSERT, its COMMIT, or the connection during COMMIT. */
export type AuditFault = 'insert' | 'commit' | 'disconnect';

export interface AuditFaults {
  /** Runs `work` with the fault in force for every request's own ALLOWED event (CHANGE events still go in). */
  during<T>(fault: AuditFault, work: () => Promise<T>): Promise<T>;
}

/**
 * Faults injected in the real database, as its owner: a BEFORE INSERT trigger on the trail, and a
 * deferred constraint trigger that runs at COMMIT (raising, or terminating its own connection).
 */
export async function installAuditFaults(owner: Client, appRole: string): Promise<AuditFaults> {
  await owner.query(`
    CREATE TABLE test_audit_fault (kind text NOT NULL);
    GRANT SELECT ON test_audit_fault TO ${appRole};
    CREATE FUNCTION test_audit_fault_on(wanted text, e audit_events) RETURNS boolean LANGUAGE sql AS $$
      SELECT e.action <> 'CHANGE' AND e.outcome = 'ALLOWED' AND EXISTS (SELECT 1 FROM test_audit_fault WHERE kind = wanted) $$;
    CREATE FUNCTION test_audit_insert_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF test_audit_fault_on('insert', NEW) THEN RAISE EXCEPTION 'injected audit failure'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER test_audit_insert_fault BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_audit_insert_fault();
    -- SECURITY DEFINER: the service's session may not signal its own (superuser-owned) backend.
    CREATE FUNCTION test_audit_commit_fault() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
    BEGIN
      IF test_audit_fault_on('commit', NEW) THEN RAISE EXCEPTION 'injected commit failure'; END IF;
      IF test_audit_fault_on('disconnect', NEW) THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER test_audit_commit_fault AFTER INSERT ON audit_events DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW EXECUTE FUNCTION test_audit_commit_fault();`);
  return {
    async during(fault, work) {
      await owner.query(`INSERT INTO test_audit_fault (kind) VALUES ($1)`, [fault]);
      try {
        return await work();
      } finally {
        await owner.query(`DELETE FROM test_audit_fault`);
      }
    },
  };
}
