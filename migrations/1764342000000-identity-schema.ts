import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The 11 GMP divisions (docs/architecture.md): reference data, identified by stable slugs. */
const DIVISIONS: [string, string][] = [
  ['bolton', 'Bolton'],
  ['bury', 'Bury'],
  ['north-manchester', 'North Manchester'],
  ['oldham', 'Oldham'],
  ['rochdale', 'Rochdale'],
  ['salford', 'Salford'],
  ['south-manchester', 'South Manchester'],
  ['stockport', 'Stockport'],
  ['tameside', 'Tameside'],
  ['trafford', 'Trafford'],
  ['wigan', 'Wigan'],
];

/**
 * Agencies, divisions, users, service accounts and sign-in sessions.
 * The role/agency-kind rule mirrors ROLE_AGENCY_KINDS in src/policy/roles.ts (a test checks both agree).
 */
export class IdentitySchema1764342000000 implements MigrationInterface {
  name = 'IdentitySchema1764342000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "divisions" ("id" text NOT NULL, "name" text NOT NULL, CONSTRAINT "UQ_9f6740ab8384ad72ec1da19a666" UNIQUE ("name"), CONSTRAINT "PK_c1f864477b3fd0954564108ed96" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE TYPE "public"."agency_kind" AS ENUM('POLICE', 'SOCIAL_CARE', 'EDUCATION', 'HEALTH', 'VOLUNTARY', 'OVERSIGHT')`);
    await q.query(
      `CREATE TABLE "agencies" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "kind" "public"."agency_kind" NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_1ea16c73ecef4bab2f61c31c889" UNIQUE ("name"), CONSTRAINT "PK_8ab1f1f53f56c8255b0d7e68b28" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE TYPE "public"."service_scope" AS ENUM('SUBMIT_INTELLIGENCE', 'READ_OWN_SUBMISSIONS')`);
    await q.query(
      `CREATE TABLE "service_accounts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "agency_id" uuid NOT NULL, "client_id" text NOT NULL, "name" text NOT NULL, "secret_hash" text NOT NULL, "scopes" "public"."service_scope" array NOT NULL, "disabled_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_73f642965eec747ce27e50f8ccb" UNIQUE ("client_id"), CONSTRAINT "PK_e2fb216fdc1db94c5e4da7d88fa" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TYPE "public"."role" AS ENUM('REPORTER', 'PRACTITIONER', 'SAFEGUARDING_LEAD', 'INVESTIGATOR', 'ANALYST', 'SUPERVISOR', 'AUDITOR', 'ADMIN')`,
    );
    await q.query(
      `CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "agency_id" uuid NOT NULL, "email" text NOT NULL, "display_name" text NOT NULL, "password_hash" text NOT NULL, "roles" "public"."role" array NOT NULL, "disabled_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "auth_sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid, "service_account_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_reason" text, CONSTRAINT "PK_641507381f32580e8479efc36cd" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_50ccaa6440288a06f0ba693ccc" ON "auth_sessions"("user_id") `);
    await q.query(`CREATE INDEX "IDX_1a991684bf3268c66319889685" ON "auth_sessions"("service_account_id") `);
    await q.query(
      `CREATE TABLE "refresh_tokens" ("id" uuid NOT NULL, "session_id" uuid NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_7d8bee0204106019488c4c50ffa" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_3bf308fa93da3966f9e76fcfba" ON "refresh_tokens"("session_id") `);
    await q.query(
      `CREATE TABLE "agency_divisions" ("agency_id" uuid NOT NULL, "division_id" text NOT NULL, CONSTRAINT "PK_b8f7c7e05f531995e4ca5c56cba" PRIMARY KEY ("agency_id", "division_id"))`,
    );
    await q.query(`CREATE INDEX "IDX_603329a1e5fd5ee1aa152a5690" ON "agency_divisions"("agency_id") `);
    await q.query(`CREATE INDEX "IDX_cc338c7921ab73f084c2581349" ON "agency_divisions"("division_id") `);
    await q.query(
      `ALTER TABLE "service_accounts" ADD CONSTRAINT "FK_16de20064e836415f6a2abd48a5" FOREIGN KEY ("agency_id") REFERENCES "agencies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "users" ADD CONSTRAINT "FK_6fdb3282cea9ba5877ab476aa76" FOREIGN KEY ("agency_id") REFERENCES "agencies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "auth_sessions" ADD CONSTRAINT "FK_50ccaa6440288a06f0ba693ccc6" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "auth_sessions" ADD CONSTRAINT "FK_1a991684bf3268c663198896856" FOREIGN KEY ("service_account_id") REFERENCES "service_accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "refresh_tokens" ADD CONSTRAINT "FK_3bf308fa93da3966f9e76fcfba4" FOREIGN KEY ("session_id") REFERENCES "auth_sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "agency_divisions" ADD CONSTRAINT "FK_603329a1e5fd5ee1aa152a56900" FOREIGN KEY ("agency_id") REFERENCES "agencies"("id") ON DELETE CASCADE ON UPDATE CASCADE`,
    );
    await q.query(
      `ALTER TABLE "agency_divisions" ADD CONSTRAINT "FK_cc338c7921ab73f084c25813495" FOREIGN KEY ("division_id") REFERENCES "divisions"("id") ON DELETE CASCADE ON UPDATE CASCADE`,
    );

    await q.query(
      `ALTER TABLE "users" ADD CONSTRAINT "CHK_users_email_normalised" CHECK (email = lower(btrim(email)) AND email LIKE '%_@_%')`,
    );
    await q.query(`ALTER TABLE "users" ADD CONSTRAINT "CHK_users_has_role" CHECK (cardinality(roles) > 0)`);
    await q.query(`ALTER TABLE "service_accounts" ADD CONSTRAINT "CHK_service_accounts_has_scope" CHECK (cardinality(scopes) > 0)`);
    await q.query(
      `ALTER TABLE "auth_sessions" ADD CONSTRAINT "CHK_auth_sessions_one_principal" CHECK (num_nonnulls(user_id, service_account_id) = 1)`,
    );
    await q.query(`ALTER TABLE "agencies" ADD CONSTRAINT "CHK_agencies_name_not_blank" CHECK (btrim(name) <> '')`);

    await q.query(`
      CREATE FUNCTION role_valid_in(r role, k agency_kind) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE r
          WHEN 'REPORTER' THEN k <> 'OVERSIGHT'
          WHEN 'PRACTITIONER' THEN k IN ('SOCIAL_CARE', 'EDUCATION', 'HEALTH')
          WHEN 'SAFEGUARDING_LEAD' THEN k IN ('SOCIAL_CARE', 'EDUCATION', 'HEALTH', 'VOLUNTARY')
          WHEN 'INVESTIGATOR' THEN k = 'POLICE'
          WHEN 'ANALYST' THEN k = 'POLICE'
          WHEN 'SUPERVISOR' THEN k = 'POLICE'
          WHEN 'AUDITOR' THEN true
          WHEN 'ADMIN' THEN true
          ELSE false
        END
      $$`);
    await q.query(`
      CREATE FUNCTION users_check_roles() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE k agency_kind;
      BEGIN
        SELECT kind INTO k FROM agencies WHERE id = NEW.agency_id;
        IF EXISTS (SELECT 1 FROM unnest(NEW.roles) r WHERE NOT role_valid_in(r, k)) THEN
          RAISE EXCEPTION 'role not valid for agency kind %', k USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER users_check_roles BEFORE INSERT OR UPDATE OF roles, agency_id ON users FOR EACH ROW EXECUTE FUNCTION users_check_roles()`,
    );
    await q.query(`
      CREATE FUNCTION agencies_check_kind() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM users u, unnest(u.roles) r WHERE u.agency_id = NEW.id AND NOT role_valid_in(r, NEW.kind)) THEN
          RAISE EXCEPTION 'agency has users whose roles are not valid for kind %', NEW.kind USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER agencies_check_kind BEFORE UPDATE OF kind ON agencies FOR EACH ROW EXECUTE FUNCTION agencies_check_kind()`,
    );

    for (const [id, name] of DIVISIONS) {
      await q.query(`INSERT INTO divisions (id, name) VALUES ($1, $2)`, [id, name]);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['refresh_tokens', 'auth_sessions', 'users', 'service_accounts', 'agency_divisions', 'agencies', 'divisions']) {
      await q.query(`DROP TABLE "${table}" CASCADE`);
    }
    await q.query(`DROP FUNCTION users_check_roles, agencies_check_kind, role_valid_in`);
    await q.query(`DROP TYPE "role", "service_scope", "agency_kind"`);
  }
}
