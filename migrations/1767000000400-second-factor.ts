import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A person's TOTP second factor (RFC 6238; docs/accounts.md, "Second factor"):
 * - `user_second_factors`: one row a user, holding the active secret (`secret`, once confirmed) and
 *   an enrolment awaiting its first code (`pending_secret`); `last_used_step` is the time step of the
 *   last code accepted, so a code is never accepted twice (replay). A secret is base32 as given, or
 *   sealed with TOTP_ENCRYPTION_KEY (`enc:v1:` and base64url; src/auth/totp-secret-box.ts).
 * - `recovery_codes`: one-time codes handed out at confirmation, stored as SHA-256 hashes (each is 80
 *   random bits: a fast hash is enough); `used_at` marks one spent.
 * - `second_factor_challenges`: the short-lived, single-use step between a password and a code,
 *   stored as the hash of its secret part, as password resets are.
 * All three are identity tables, outside row-level security as users and sessions are; no part of
 * the API reads a secret back.
 */
/** A secret as stored: base32, or sealed. */
const SECRET_FORM = '^([A-Z2-7]{16,128}|enc:v1:[A-Za-z0-9_-]{40,255})$';

export class SecondFactor1767000000400 implements MigrationInterface {
  name = 'SecondFactor1767000000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "user_second_factors" (
         "user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
         "secret" text,
         "activated_at" TIMESTAMP WITH TIME ZONE,
         "pending_secret" text,
         "pending_since" TIMESTAMP WITH TIME ZONE,
         "last_used_step" bigint,
         CONSTRAINT "PK_user_second_factors" PRIMARY KEY ("user_id"),
         CONSTRAINT "CHK_user_second_factors_active" CHECK ((secret IS NULL) = (activated_at IS NULL)),
         CONSTRAINT "CHK_user_second_factors_pending" CHECK ((pending_secret IS NULL) = (pending_since IS NULL)),
         CONSTRAINT "CHK_user_second_factors_something" CHECK (secret IS NOT NULL OR pending_secret IS NOT NULL),
         CONSTRAINT "CHK_user_second_factors_form" CHECK (secret ~ '${SECRET_FORM}' AND pending_secret ~ '${SECRET_FORM}'))`,
    );
    await q.query(
      `CREATE TABLE "recovery_codes" (
         "id" uuid NOT NULL DEFAULT gen_random_uuid(),
         "user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
         "code_hash" text NOT NULL,
         "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
         "used_at" TIMESTAMP WITH TIME ZONE,
         CONSTRAINT "PK_recovery_codes" PRIMARY KEY ("id"),
         CONSTRAINT "UQ_recovery_codes_user_code" UNIQUE ("user_id", "code_hash"))`,
    );
    await q.query(
      `CREATE TABLE "second_factor_challenges" (
         "id" uuid NOT NULL DEFAULT gen_random_uuid(),
         "user_id" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
         "secret_hash" text NOT NULL,
         "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
         "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
         "used_at" TIMESTAMP WITH TIME ZONE,
         CONSTRAINT "PK_second_factor_challenges" PRIMARY KEY ("id"),
         CONSTRAINT "CHK_second_factor_challenges_expiry" CHECK (expires_at > created_at))`,
    );
    await q.query(`CREATE INDEX "IDX_second_factor_challenges_user" ON "second_factor_challenges" ("user_id") WHERE used_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "second_factor_challenges"`);
    await q.query(`DROP TABLE "recovery_codes"`);
    await q.query(`DROP TABLE "user_second_factors"`);
  }
}
