import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail: events partitioned by month, append-only (triggers, and the application role may
 * only INSERT and SELECT), each row hashed on insert, and seals that chain the hashes of settled
 * ranges of transactions (see docs/audit.md for why seals rather than a per-row chain).
 *
 * Also creates the application role `safeshare_app`: the service runs as it after migrating, so even
 * a bug in the service cannot edit the trail. Roles are cluster-wide, hence "if not exists".
 */
export class AuditTrail1764800000000 implements MigrationInterface {
  name = 'AuditTrail1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeshare_app') THEN CREATE ROLE safeshare_app NOLOGIN; END IF;
      END $$`);
    // The migrating user must be able to become the application role (a superuser always can).
    await q.query(`
      DO $$ BEGIN
        IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN EXECUTE 'GRANT safeshare_app TO ' || quote_ident(current_user); END IF;
      END $$`);

    await q.query(`CREATE SEQUENCE audit_events_id_seq AS bigint`);
    await q.query(`
      CREATE TABLE audit_events (
        id bigint NOT NULL DEFAULT nextval('audit_events_id_seq'),
        occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        request_id text,
        actor_id uuid,
        actor_kind text CHECK (actor_kind IN ('USER', 'SERVICE')),
        actor_agency_id uuid,
        actor_roles text[] NOT NULL DEFAULT '{}',
        token_id text,
        operation_name text,
        operation_field text,
        document_hash text,
        client_address text,
        user_agent text,
        action text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('ALLOWED', 'DENIED', 'FAILED')),
        reason text,
        record_kind text,
        record_ids uuid[] NOT NULL DEFAULT '{}',
        record_agency_ids uuid[] NOT NULL DEFAULT '{}',
        subject_ids uuid[] NOT NULL DEFAULT '{}',
        record_count integer NOT NULL DEFAULT 0,
        details jsonb NOT NULL DEFAULT '{}',
        row_hash bytea NOT NULL,
        PRIMARY KEY (id, occurred_at)
      ) PARTITION BY RANGE (occurred_at)`);
    await q.query(`ALTER SEQUENCE audit_events_id_seq OWNED BY audit_events.id`);
    await q.query(`CREATE INDEX idx_audit_events_time ON audit_events (occurred_at DESC, id DESC)`);
    await q.query(`CREATE INDEX idx_audit_events_actor ON audit_events (actor_id, occurred_at DESC)`);
    await q.query(`CREATE INDEX idx_audit_events_actor_agency ON audit_events (actor_agency_id, occurred_at DESC)`);
    await q.query(`CREATE INDEX idx_audit_events_tx ON audit_events (tx_id, id)`);
    await q.query(`CREATE INDEX idx_audit_events_subjects ON audit_events USING gin (subject_ids)`);
    await q.query(`CREATE INDEX idx_audit_events_records ON audit_events USING gin (record_ids)`);
    await q.query(`CREATE INDEX idx_audit_events_record_agencies ON audit_events USING gin (record_agency_ids)`);

    await q.query(`
      CREATE TABLE audit_seals (
        id bigserial PRIMARY KEY,
        sealed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        from_tx xid8 NOT NULL,
        to_tx xid8 NOT NULL CHECK (to_tx > from_tx),
        event_count integer NOT NULL CHECK (event_count >= 0),
        first_occurred_at timestamptz,
        last_occurred_at timestamptz,
        event_ids bigint[] NOT NULL,
        event_hashes bytea[] NOT NULL,
        prev_hash bytea,
        seal_hash bytea NOT NULL,
        UNIQUE (from_tx)
      )`);

    // The canonical hash of an event: every column but the hash itself, as JSON in UTC.
    await q.query(`
      CREATE FUNCTION audit_row_hash(e anyelement) RETURNS bytea
      LANGUAGE sql STABLE SET timezone TO 'UTC'
      AS $$ SELECT sha256(convert_to((to_jsonb(e) - 'row_hash')::text, 'UTF8')) $$`);
    await q.query(`
      CREATE FUNCTION audit_hash_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.row_hash := audit_row_hash(NEW);
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER audit_events_hash BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_hash_row()`);

    await q.query(`
      CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['audit_events', 'audit_seals']) {
      await q.query(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`,
      );
      await q.query(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`,
      );
    }

    // Creates the partition holding `month` if missing. SECURITY DEFINER: the service calls it as the
    // application role, which may not create tables itself.
    await q.query(`
      CREATE FUNCTION audit_ensure_partition(month date) RETURNS text
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        first_day date := date_trunc('month', month)::date;
        part text := format('audit_events_%s', to_char(first_day, 'YYYY_MM'));
      BEGIN
        IF to_regclass(part) IS NULL THEN
          EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)',
                         part, first_day, (first_day + interval '1 month')::date);
          EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()',
                         part || '_no_truncate', part);
          EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM safeshare_app', part);
        END IF;
        RETURN part;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION audit_ensure_partition(date) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION audit_ensure_partition(date) TO safeshare_app`);
    // This month and the next three; the service keeps creating them ahead (src/audit/partitions.ts).
    await q.query(
      `SELECT audit_ensure_partition((date_trunc('month', now()) + make_interval(months => m))::date) FROM generate_series(0, 3) m`,
    );

    // The application role: ordinary rights on case tables, only INSERT and SELECT on the trail.
    await q.query(`GRANT USAGE ON SCHEMA public TO safeshare_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO safeshare_app`);
    await q.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO safeshare_app`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO safeshare_app`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO safeshare_app`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_seals FROM safeshare_app`);
    await q.query(`
      DO $$ DECLARE part regclass; BEGIN
        FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'audit_events'::regclass LOOP
          EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM safeshare_app', part);
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_seals`);
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP FUNCTION audit_ensure_partition(date)`);
    await q.query(`DROP FUNCTION audit_refuse_change()`);
    await q.query(`DROP FUNCTION audit_hash_row()`);
    await q.query(`DROP FUNCTION audit_row_hash(anyelement)`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM safeshare_app`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM safeshare_app`);
    await q.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM safeshare_app`);
    await q.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM safeshare_app`);
    await q.query(`REVOKE USAGE ON SCHEMA public FROM safeshare_app`);
  }
}
