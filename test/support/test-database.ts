import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';

/** Set by the global setup: a server where tests may create databases, and the migrated, seeded template. */
export const TEST_ADMIN_URL_ENV = 'SAFESHARE_TEST_ADMIN_URL';
export const TEST_TEMPLATE_ENV = 'SAFESHARE_TEST_TEMPLATE';

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database for one test file, copied from the template (migrations applied, demo seeded). */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env[TEST_ADMIN_URL_ENV];
  const template = process.env[TEST_TEMPLATE_ENV];
  if (!adminUrl || !template) throw new Error('test database not prepared: run the tests through jest (globalSetup)');
  const name = `safeshare_t_${randomBytes(6).toString('hex')}`;
  await withAdminClient(adminUrl, async (client) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        return;
      } catch (error) {
        // Two workers copying the template at once: PostgreSQL refuses the second; try again.
        if (attempt < 20 && /being accessed by other users/.test(String(error))) {
          await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
          continue;
        }
        throw error;
      }
    }
  });
  return {
    url: databaseUrl(adminUrl, name),
    drop: () => withAdminClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A fresh test database with a connected data source, for tests that need SQL but no server. */
export async function openTestDatabase(): Promise<{ db: DataSource; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const db = createDataSource({ url: database.url, poolMax: 2 });
  await db.initialize();
  return {
    db,
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}
