import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Flag approval: a flag proposed by an investigator or analyst is PROPOSED until a police supervisor
 * approves it (ACTIVE) or rejects it with a reason (REJECTED). Existing flags keep their state
 * (ACTIVE or ENDED) and have no approval: they were active when set.
 *
 * The enum is replaced rather than extended: values added with ADD VALUE cannot be used in the
 * same transaction, and the constraints and index below use them.
 */
export class FlagApproval1764700000000 implements MigrationInterface {
  name = 'FlagApproval1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "IDX_flags_one_active"`);
    await q.query(`ALTER TABLE flags DROP CONSTRAINT "CHK_flags_ended"`);
    await q.query(`ALTER TYPE flag_status RENAME TO flag_status_old`);
    await q.query(`CREATE TYPE flag_status AS ENUM ('PROPOSED', 'ACTIVE', 'REJECTED', 'ENDED')`);
    await q.query(`ALTER TABLE flags ALTER COLUMN status DROP DEFAULT`);
    await q.query(`ALTER TABLE flags ALTER COLUMN status TYPE flag_status USING status::text::flag_status`);
    await q.query(`ALTER TABLE flags ALTER COLUMN status SET DEFAULT 'ACTIVE'`);
    await q.query(`DROP TYPE flag_status_old`);

    await q.query(`
      ALTER TABLE flags
        ADD COLUMN approved_at timestamptz,
        ADD COLUMN approved_by_user_id uuid,
        ADD COLUMN rejected_at timestamptz,
        ADD COLUMN rejected_by_user_id uuid,
        ADD COLUMN rejection_reason text`);
    await q.query(
      `ALTER TABLE flags ADD CONSTRAINT "FK_683f1b59de6b61e82ec5feb95e6" FOREIGN KEY ("approved_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE flags ADD CONSTRAINT "FK_bc8d7669fed3280c2495f2d20fd" FOREIGN KEY ("rejected_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );

    await q.query(`
      ALTER TABLE flags
        ADD CONSTRAINT "CHK_flags_ended"
          CHECK ((status = 'ENDED') = (ended_at IS NOT NULL AND ended_by_user_id IS NOT NULL AND end_reason IS NOT NULL)),
        -- An approval belongs to a flag that went into force, and is never the proposer's own.
        ADD CONSTRAINT "CHK_flags_approved"
          CHECK ((approved_at IS NULL) = (approved_by_user_id IS NULL)
                 AND (approved_at IS NULL OR (status IN ('ACTIVE', 'ENDED') AND approved_at >= set_at AND approved_by_user_id <> set_by_user_id))),
        ADD CONSTRAINT "CHK_flags_rejected"
          CHECK ((status = 'REJECTED') = (rejected_at IS NOT NULL AND rejected_by_user_id IS NOT NULL AND rejection_reason IS NOT NULL)
                 AND (rejected_at IS NULL OR rejected_at >= set_at)),
        ADD CONSTRAINT "CHK_flags_rejection_reason" CHECK (char_length(btrim(rejection_reason)) > 0)`);

    // A proposal blocks another flag of its kind until decided: at most one open flag per kind.
    await q.query(`CREATE UNIQUE INDEX "IDX_flags_one_open" ON flags (subject_id, kind) WHERE status IN ('PROPOSED', 'ACTIVE')`);
  }

  /**
   * Back to ACTIVE | ENDED. A rejected proposal becomes an ended flag with its reason; a pending one
   * is ended too, never activated: rolling back must not put an unapproved flag in force.
   */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "IDX_flags_one_open"`);
    for (const constraint of [
      'CHK_flags_rejection_reason',
      'CHK_flags_rejected',
      'CHK_flags_approved',
      'CHK_flags_ended',
      'FK_bc8d7669fed3280c2495f2d20fd',
      'FK_683f1b59de6b61e82ec5feb95e6',
    ]) {
      await q.query(`ALTER TABLE flags DROP CONSTRAINT "${constraint}"`);
    }
    await q.query(`
      UPDATE flags SET status = 'ENDED', ended_at = rejected_at, ended_by_user_id = rejected_by_user_id, end_reason = rejection_reason
       WHERE status = 'REJECTED'`);
    await q.query(`
      UPDATE flags SET status = 'ENDED', ended_at = now(), ended_by_user_id = set_by_user_id,
                       end_reason = 'Proposal withdrawn undecided: flag approval was rolled back'
       WHERE status = 'PROPOSED'`);
    await q.query(`
      ALTER TABLE flags
        DROP COLUMN rejection_reason, DROP COLUMN rejected_by_user_id, DROP COLUMN rejected_at,
        DROP COLUMN approved_by_user_id, DROP COLUMN approved_at`);

    await q.query(`ALTER TYPE flag_status RENAME TO flag_status_new`);
    await q.query(`CREATE TYPE flag_status AS ENUM ('ACTIVE', 'ENDED')`);
    await q.query(`ALTER TABLE flags ALTER COLUMN status DROP DEFAULT`);
    await q.query(`ALTER TABLE flags ALTER COLUMN status TYPE flag_status USING status::text::flag_status`);
    await q.query(`ALTER TABLE flags ALTER COLUMN status SET DEFAULT 'ACTIVE'`);
    await q.query(`DROP TYPE flag_status_new`);
    await q.query(
      `ALTER TABLE flags ADD CONSTRAINT "CHK_flags_ended" CHECK ((status = 'ENDED') = (ended_at IS NOT NULL AND ended_by_user_id IS NOT NULL AND end_reason IS NOT NULL))`,
    );
    await q.query(`CREATE UNIQUE INDEX "IDX_flags_one_active" ON flags (subject_id, kind) WHERE status = 'ACTIVE'`);
  }
}
