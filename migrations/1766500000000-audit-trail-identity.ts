import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The identity of this audit trail: one random id, made when the trail is created. Signed checkpoints
 * name it, so a checkpoint taken from one deployment cannot be presented as another's. Append-only
 * like the trail itself; the application role may only read it.
 */
export class AuditTrailIdentity1766500000000 implements MigrationInterface {
  name = 'AuditTrailIdentity1766500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_trail_identity (
        trail_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        created_at timestamptz NOT NULL DEFAULT now(),
        singleton boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton)
      )`);
    await q.query(`INSERT INTO audit_trail_identity DEFAULT VALUES`);
    await q.query(
      `CREATE TRIGGER audit_trail_identity_append_only BEFORE UPDATE OR DELETE ON audit_trail_identity FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`,
    );
    await q.query(
      `CREATE TRIGGER audit_trail_identity_no_truncate BEFORE TRUNCATE ON audit_trail_identity FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`,
    );
    await q.query(`REVOKE ALL ON audit_trail_identity FROM safeshare_app`);
    await q.query(`GRANT SELECT ON audit_trail_identity TO safeshare_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_trail_identity`);
  }
}
