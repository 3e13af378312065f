import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Push sharing (docs/notifications.md): the outbox of notices, the per-recipient inbox, and the one
 * door to the job queue.
 *
 * - `notification_events`: a notice, written in the same transaction as the change (or the clock,
 *   or the read) that causes it. Content-free by shape: a type, ids and times only. Its insert
 *   enqueues the graphile-worker job that fans it out, in the same transaction, so there is no
 *   notice without its delivery and no delivery without its notice.
 * - `notifications`: one row per recipient principal, decided by src/policy/notifications.ts when
 *   the notice is fanned out (so from the recipients' agencies and roles at delivery time).
 * - `safeshare_enqueue`: graphile-worker's `add_job`, run as its owner, so the application role
 *   enqueues jobs inside its own transactions without any right on the queue's tables.
 *
 * The queue's own schema (graphile_worker) is migrated by src/db/migrate.ts beside these.
 */
export class PushSharing1766800000000 implements MigrationInterface {
  name = 'PushSharing1766800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE notification_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type text NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        record_kind text,
        record_id uuid,
        subject_id uuid REFERENCES subjects (id),
        acting_agency_id uuid REFERENCES agencies (id),
        acting_principal_id uuid,
        target_agency_id uuid REFERENCES agencies (id),
        target_principal_id uuid,
        dedupe_key text UNIQUE,
        fanned_out_at timestamptz,
        CONSTRAINT chk_notification_events_type CHECK (type ~ '^[A-Z_]{1,64}$')
      )`);
    await q.query(`CREATE INDEX idx_notification_events_pending ON notification_events (occurred_at) WHERE fanned_out_at IS NULL`);
    await q.query(`CREATE TABLE notifications (
        event_id uuid NOT NULL REFERENCES notification_events (id),
        recipient_id uuid NOT NULL,
        recipient_kind text NOT NULL CHECK (recipient_kind IN ('USER', 'SERVICE')),
        recipient_agency_id uuid NOT NULL REFERENCES agencies (id),
        delivered_at timestamptz NOT NULL DEFAULT now(),
        read_at timestamptz,
        PRIMARY KEY (event_id, recipient_id)
      )`);
    // The inbox is read newest first per recipient, unread or all.
    await q.query(`CREATE INDEX idx_notifications_inbox ON notifications (recipient_id, delivered_at DESC, event_id DESC)`);
    await q.query(
      `CREATE INDEX idx_notifications_unread ON notifications (recipient_id, delivered_at DESC, event_id DESC) WHERE read_at IS NULL`,
    );
    // Where the access-notice scan has read the trail to (one row per scan).
    await q.query(`CREATE TABLE notification_scan_positions (name text PRIMARY KEY, tx_id xid8 NOT NULL)`);
    await q.query(`ALTER TABLE notification_scan_positions ENABLE ROW LEVEL SECURITY`);
    await q.query(
      `CREATE POLICY notification_scan_positions_system ON notification_scan_positions USING (rls_system()) WITH CHECK (rls_system())`,
    );

    // A recipient reads its own inbox rows and the notices they name; the system reads and writes all.
    await q.query(`ALTER TABLE notifications ENABLE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY notifications_system ON notifications USING (rls_system()) WITH CHECK (rls_system())`);
    await q.query(`CREATE POLICY notifications_own_read ON notifications FOR SELECT USING (recipient_id = (SELECT rls_id()))`);
    await q.query(`CREATE POLICY notifications_own_update ON notifications FOR UPDATE
        USING (recipient_id = (SELECT rls_id())) WITH CHECK (recipient_id = (SELECT rls_id()))`);
    await q.query(`ALTER TABLE notification_events ENABLE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY notification_events_system ON notification_events USING (rls_system()) WITH CHECK (rls_system())`);
    // Requests raise notices as their caller (the change's own transaction); only the system reads them all.
    await q.query(`CREATE POLICY notification_events_raise ON notification_events FOR INSERT WITH CHECK ((SELECT rls_id()) IS NOT NULL)`);
    await q.query(`CREATE POLICY notification_events_own_read ON notification_events FOR SELECT
        USING (id IN (SELECT n.event_id FROM notifications n WHERE n.recipient_id = (SELECT rls_id())))`);

    await q.query(`CREATE FUNCTION safeshare_enqueue(task_name text, job_payload json, due timestamptz DEFAULT now(), key text DEFAULT NULL)
        RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          PERFORM graphile_worker.add_job(task_name, job_payload, run_at => due, job_key => key, max_attempts => 25);
        END $$`);
    await q.query(`CREATE FUNCTION notification_events_enqueue() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
        BEGIN
          PERFORM safeshare_enqueue('fan_out_notice', json_build_object('eventId', NEW.id));
          RETURN NULL;
        END $$`);
    await q.query(`CREATE TRIGGER notification_events_enqueue AFTER INSERT ON notification_events
        FOR EACH ROW EXECUTE FUNCTION notification_events_enqueue()`);
    await q.query(`REVOKE ALL ON FUNCTION safeshare_enqueue(text, json, timestamptz, text) FROM PUBLIC`);
    await q.query(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeshare_app') THEN
          GRANT EXECUTE ON FUNCTION safeshare_enqueue(text, json, timestamptz, text) TO safeshare_app;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER notification_events_enqueue ON notification_events`);
    await q.query(`DROP FUNCTION notification_events_enqueue()`);
    await q.query(`DROP FUNCTION safeshare_enqueue(text, json, timestamptz, text)`);
    await q.query(`DROP TABLE notification_scan_positions`);
    // One statement: each table's policies name the other.
    await q.query(`DROP TABLE notifications, notification_events`);
  }
}
