import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account lifecycle (docs/accounts.md):
 * - users.must_change_password: set by an administrator's password reset; until the user sets a new
 *   password with the reset token, they cannot sign in and no token of theirs works.
 * - password_resets: one-time reset tokens, stored as argon2 hashes of their secret part, expiring;
 *   `used_at` marks one spent (or superseded by a later reset).
 * - service_accounts.previous_secret_*: a rotated partner secret keeps working until its grace ends.
 */
export class AccountLifecycle1767000000100 implements MigrationInterface {
  name = 'AccountLifecycle1767000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" ADD "must_change_password" boolean NOT NULL DEFAULT false`);
    await q.query(
      `CREATE TABLE "password_resets" (
         "id" uuid NOT NULL DEFAULT gen_random_uuid(),
         "user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
         "secret_hash" text NOT NULL,
         "requested_by_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE RESTRICT,
         "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
         "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
         "used_at" TIMESTAMP WITH TIME ZONE,
         CONSTRAINT "PK_password_resets" PRIMARY KEY ("id"),
         CONSTRAINT "CHK_password_resets_expiry" CHECK (expires_at > created_at),
         CONSTRAINT "CHK_password_resets_not_own" CHECK (requested_by_id <> user_id))`,
    );
    await q.query(`CREATE INDEX "IDX_password_resets_user" ON "password_resets" ("user_id") WHERE used_at IS NULL`);
    await q.query(`ALTER TABLE "service_accounts" ADD "previous_secret_hash" text`);
    await q.query(`ALTER TABLE "service_accounts" ADD "previous_secret_expires_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(
      `ALTER TABLE "service_accounts" ADD CONSTRAINT "CHK_service_accounts_previous_secret" CHECK ((previous_secret_hash IS NULL) = (previous_secret_expires_at IS NULL))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "service_accounts" DROP CONSTRAINT "CHK_service_accounts_previous_secret"`);
    await q.query(`ALTER TABLE "service_accounts" DROP COLUMN "previous_secret_expires_at"`);
    await q.query(`ALTER TABLE "service_accounts" DROP COLUMN "previous_secret_hash"`);
    await q.query(`DROP TABLE "password_resets"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "must_change_password"`);
  }
}
