import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Partner-app lifecycle (docs/accounts.md, "Partner apps"):
 * - service_accounts.revoked_reason: why an administrator revoked the app (a revoked app is disabled).
 * - service_accounts.trusted_documents: the app's allow-list of operations (trusted documents), by
 *   the sha256 hex of each operation's text; NULL when the app may run any operation its scopes allow.
 */
export class PartnerApps1767000000300 implements MigrationInterface {
  name = 'PartnerApps1767000000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "service_accounts" ADD "revoked_reason" text`);
    await q.query(
      `ALTER TABLE "service_accounts" ADD CONSTRAINT "CHK_service_accounts_revoked" CHECK (revoked_reason IS NULL OR disabled_at IS NOT NULL)`,
    );
    await q.query(`ALTER TABLE "service_accounts" ADD "trusted_documents" jsonb`);
    await q.query(`ALTER TABLE "service_accounts" ADD "trusted_documents_set_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(
      `ALTER TABLE "service_accounts" ADD CONSTRAINT "CHK_service_accounts_trusted_documents"
         CHECK ((trusted_documents IS NULL) = (trusted_documents_set_at IS NULL)
                AND (trusted_documents IS NULL OR jsonb_typeof(trusted_documents) = 'object'))`,
    );
    await q.query(`CREATE INDEX "IDX_service_accounts_agency" ON "service_accounts" ("agency_id", "created_at", "id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "IDX_service_accounts_agency"`);
    await q.query(`ALTER TABLE "service_accounts" DROP CONSTRAINT "CHK_service_accounts_trusted_documents"`);
    await q.query(`ALTER TABLE "service_accounts" DROP COLUMN "trusted_documents_set_at"`);
    await q.query(`ALTER TABLE "service_accounts" DROP COLUMN "trusted_documents"`);
    await q.query(`ALTER TABLE "service_accounts" DROP CONSTRAINT "CHK_service_accounts_revoked"`);
    await q.query(`ALTER TABLE "service_accounts" DROP COLUMN "revoked_reason"`);
  }
}
