import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Separation of duties: a new agency, and a privileged role, come into force only when a second
 * administrator approves the grant another one requested.
 * - agencies.status: existing agencies are ACTIVE; a new one starts PENDING_APPROVAL.
 * - users.pending_roles: requested, not in force; never overlapping roles. A user holds a role in
 *   force or pending unless disabled (a rejection can leave none).
 * - grants: who asked, who decided (never the same person, never the grant's own user), at most one
 *   open request per user and one admission per agency.
 * The role/agency-kind trigger now checks pending roles too.
 */
export class SeparationOfDuties1766400000000 implements MigrationInterface {
  name = 'SeparationOfDuties1766400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TYPE "public"."grant_kind" AS ENUM('AGENCY', 'ROLES')`);
    await q.query(`CREATE TYPE "public"."grant_status" AS ENUM('PENDING', 'APPROVED', 'REJECTED')`);
    await q.query(`CREATE TYPE "public"."agency_status" AS ENUM('PENDING_APPROVAL', 'ACTIVE')`);
    await q.query(`ALTER TABLE "agencies" ADD "status" "public"."agency_status" NOT NULL DEFAULT 'ACTIVE'`);
    await q.query(`ALTER TABLE "users" ADD "pending_roles" "public"."role" array NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "users" DROP CONSTRAINT "CHK_users_has_role"`);
    await q.query(
      `ALTER TABLE "users" ADD CONSTRAINT "CHK_users_has_role" CHECK (cardinality(roles) + cardinality(pending_roles) > 0 OR disabled_at IS NOT NULL)`,
    );
    await q.query(`ALTER TABLE "users" ADD CONSTRAINT "CHK_users_pending_roles_apart" CHECK (NOT (roles && pending_roles))`);
    await q.query(
      `CREATE TABLE "grants" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" "public"."grant_kind" NOT NULL, "status" "public"."grant_status" NOT NULL DEFAULT 'PENDING', "agency_id" uuid NOT NULL, "user_id" uuid, "roles" "public"."role" array NOT NULL DEFAULT '{}', "requested_by_id" uuid NOT NULL, "requester_agency_id" uuid NOT NULL, "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "decided_by_id" uuid, "decided_at" TIMESTAMP WITH TIME ZONE, "reason" text, CONSTRAINT "CHK_grants_kind" CHECK ((kind = 'AGENCY' AND user_id IS NULL AND cardinality(roles) = 0) OR (kind = 'ROLES' AND user_id IS NOT NULL AND cardinality(roles) > 0)), CONSTRAINT "CHK_grants_reason" CHECK ((status = 'REJECTED') = (reason IS NOT NULL) AND (reason IS NULL OR char_length(btrim(reason)) BETWEEN 1 AND 2000)), CONSTRAINT "CHK_grants_decided" CHECK ((status = 'PENDING') = (decided_by_id IS NULL) AND (decided_by_id IS NULL) = (decided_at IS NULL)), CONSTRAINT "CHK_grants_not_own_roles" CHECK (decided_by_id <> user_id), CONSTRAINT "CHK_grants_two_people" CHECK (decided_by_id <> requested_by_id), CONSTRAINT "PK_a25f5f89eff8b3277f7969b7094" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_grants_requested_by" ON "grants" ("requested_by_id")`);
    await q.query(`CREATE INDEX "IDX_grants_user" ON "grants" ("user_id")`);
    await q.query(`CREATE INDEX "IDX_grants_pending" ON "grants" ("status", "requested_at", "id")`);
    await q.query(`CREATE UNIQUE INDEX "UQ_grants_pending_user" ON "grants" ("user_id") WHERE status = 'PENDING'`);
    await q.query(`CREATE UNIQUE INDEX "UQ_grants_agency" ON "grants" ("agency_id") WHERE kind = 'AGENCY'`);
    await q.query(
      `ALTER TABLE "grants" ADD CONSTRAINT "FK_9c0327552e8efdb70788225fab8" FOREIGN KEY ("agency_id") REFERENCES "agencies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "grants" ADD CONSTRAINT "FK_501eb48e321a0f302707ec42aa3" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "grants" ADD CONSTRAINT "FK_dca0a62e572708be2b202ca8f08" FOREIGN KEY ("requested_by_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "grants" ADD CONSTRAINT "FK_abfb2146916f8ded7c34e05f559" FOREIGN KEY ("requester_agency_id") REFERENCES "agencies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "grants" ADD CONSTRAINT "FK_62a1e53cd09f23b45955dba99c9" FOREIGN KEY ("decided_by_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(checkRoles('NEW.roles || NEW.pending_roles'));
    await q.query(`DROP TRIGGER users_check_roles ON users`);
    await q.query(
      `CREATE TRIGGER users_check_roles BEFORE INSERT OR UPDATE OF roles, pending_roles, agency_id ON users FOR EACH ROW EXECUTE FUNCTION users_check_roles()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER users_check_roles ON users`);
    await q.query(
      `CREATE TRIGGER users_check_roles BEFORE INSERT OR UPDATE OF roles, agency_id ON users FOR EACH ROW EXECUTE FUNCTION users_check_roles()`,
    );
    await q.query(checkRoles('NEW.roles'));
    await q.query(`DROP TABLE "grants"`);
    await q.query(`ALTER TABLE "users" DROP CONSTRAINT "CHK_users_pending_roles_apart"`);
    await q.query(`ALTER TABLE "users" DROP CONSTRAINT "CHK_users_has_role"`);
    await q.query(`ALTER TABLE "users" ADD CONSTRAINT "CHK_users_has_role" CHECK (cardinality(roles) > 0)`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "pending_roles"`);
    await q.query(`ALTER TABLE "agencies" DROP COLUMN "status"`);
    await q.query(`DROP TYPE "public"."agency_status"`);
    await q.query(`DROP TYPE "public"."grant_status"`);
    await q.query(`DROP TYPE "public"."grant_kind"`);
  }
}

/** The role/agency-kind trigger function of the identity schema, over the roles in `roles`. */
function checkRoles(roles: string): string {
  return `
    CREATE OR REPLACE FUNCTION users_check_roles() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE k agency_kind;
    BEGIN
      SELECT kind INTO k FROM agencies WHERE id = NEW.agency_id;
      IF EXISTS (SELECT 1 FROM unnest(${roles}) r WHERE NOT role_valid_in(r, k)) THEN
        RAISE EXCEPTION 'role not valid for agency kind %', k USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$`;
}
