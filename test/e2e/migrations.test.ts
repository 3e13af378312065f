import type { DataSource } from 'typeorm';
import { AgencyKind } from '../../src/agencies/agency-kind';
import { createDataSource } from '../../src/db/data-source';
import { runMigrations } from '../../src/db/migrate';
import { Role, ROLE_AGENCY_KINDS } from '../../src/policy/roles';
import { databaseUrl, openTestDatabase, TEST_ADMIN_URL_ENV, withAdminClient } from '../support/test-database';

let db: DataSource;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ db, close } = await openTestDatabase());
});
afterAll(() => close());

describe('migrations', () => {
  it('agree with the entities: TypeORM finds nothing to change', async () => {
    const pending = await db.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('apply to an empty database, roll back completely, and apply again', async () => {
    const name = `safeshare_mig_${process.pid}`;
    const adminUrl = process.env[TEST_ADMIN_URL_ENV]!;
    await withAdminClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
    const fresh = createDataSource({ url: databaseUrl(adminUrl, name), poolMax: 2 });
    await fresh.initialize();
    try {
      expect((await runMigrations(fresh)).length).toBeGreaterThan(0);
      expect(await runMigrations(fresh)).toEqual([]);
      while ((await fresh.query(`SELECT count(*)::int AS n FROM migrations`))[0].n > 0) await fresh.undoLastMigration();
      const [{ n }] = await fresh.query(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`,
      );
      expect(n).toBe(0);
      expect((await runMigrations(fresh)).length).toBeGreaterThan(0);
    } finally {
      await fresh.destroy();
      await withAdminClient(adminUrl, (c) => c.query(`DROP DATABASE ${name} WITH (FORCE)`));
    }
  });

  it('load the 11 GMP divisions as reference data', async () => {
    const rows: { name: string }[] = await db.query(`SELECT name FROM divisions ORDER BY name`);
    expect(rows).toHaveLength(11);
  });
});

describe('database invariants', () => {
  const agencyOf = async (kind: AgencyKind) => {
    const [{ id }] = await db.query(`INSERT INTO agencies (name, kind) VALUES ($1, $2) RETURNING id`, [`Invariant ${kind}`, kind]);
    return id as string;
  };

  it('the role/agency-kind trigger agrees with the policy table for every pair', async () => {
    const disagreements: string[] = [];
    for (const kind of Object.values(AgencyKind)) {
      const agencyId = await agencyOf(kind);
      for (const role of Object.values(Role)) {
        const accepted = await db
          .query(`INSERT INTO users (agency_id, email, display_name, password_hash, roles) VALUES ($1, $2, 'x', 'x', $3::role[])`, [
            agencyId,
            `${role}.${kind}@invariant.example`.toLowerCase(),
            [role],
          ])
          .then(
            () => true,
            () => false,
          );
        if (accepted !== ROLE_AGENCY_KINDS[role].includes(kind)) disagreements.push(`${role} in ${kind}`);
      }
    }
    expect(disagreements).toEqual([]);
  });

  it('refuses changing an agency kind when its users would hold invalid roles', async () => {
    const [{ id }] = await db.query(`SELECT id FROM agencies WHERE name = 'Greater Manchester Police'`);
    await expect(db.query(`UPDATE agencies SET kind = 'HEALTH' WHERE id = $1`, [id])).rejects.toThrow(/not valid/);
  });

  it.each([
    [
      'an email not stored lower-case',
      `INSERT INTO users (agency_id, email, display_name, password_hash, roles) SELECT id, 'Upper@Example.org', 'x', 'x', '{AUDITOR}' FROM agencies LIMIT 1`,
    ],
    [
      'a user without roles',
      `INSERT INTO users (agency_id, email, display_name, password_hash, roles) SELECT id, 'noroles@example.org', 'x', 'x', '{}' FROM agencies LIMIT 1`,
    ],
    ['a session for nobody', `INSERT INTO auth_sessions (user_id, service_account_id) VALUES (NULL, NULL)`],
    ['a blank agency name', `INSERT INTO agencies (name, kind) VALUES ('  ', 'HEALTH')`],
  ])('refuse %s', async (_case, sql) => {
    await expect(db.query(sql)).rejects.toThrow();
  });
});
