import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account safety: failed sign-ins per email or client id (known or not), for the exponential
 * lock-out. The service role gets its rights from the default privileges set by the audit migration.
 */
export class AccountSafety1765100000000 implements MigrationInterface {
  name = 'AccountSafety1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "sign_in_throttles" ("account_key" text NOT NULL, "failures" integer NOT NULL, "last_failed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "locked_until" TIMESTAMP WITH TIME ZONE, CONSTRAINT "CHK_sign_in_throttles_failures" CHECK (failures > 0), CONSTRAINT "PK_e216e36d699b637196fecd9b0ce" PRIMARY KEY ("account_key"))`,
    );
    await q.query(`CREATE INDEX "IDX_38513e6c3d59203d501e0110db" ON "sign_in_throttles" ("last_failed_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."IDX_38513e6c3d59203d501e0110db"`);
    await q.query(`DROP TABLE "sign_in_throttles"`);
  }
}
