import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Attempts refused while an account is locked are counted, so the audit trail can record them
 * bounded (at the 1st, 2nd, 4th, ... refusal of each lock) with the running count.
 */
export class SignInRefusals1766100000000 implements MigrationInterface {
  name = 'SignInRefusals1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sign_in_throttles ADD COLUMN refused_while_locked integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE sign_in_throttles ADD CONSTRAINT "CHK_sign_in_throttles_refused" CHECK (refused_while_locked >= 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sign_in_throttles DROP COLUMN refused_while_locked`);
  }
}
