import 'reflect-metadata';
import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDataSource } from '../../src/db/data-source';
import type { EmbeddedDatabase } from '../../src/db/embedded';
import { runMigrations } from '../../src/db/migrate';
import { seedDemo } from '../../src/demo/demo-seed';
import { TEST_ARGON2 } from './test-config';
import { databaseUrl, TEST_ADMIN_URL_ENV, TEST_TEMPLATE_ENV, withAdminClient } from './test-database';

declare global {
  var __SAFESHARE_TEST__: { embedded?: EmbeddedDatabase; dataDir?: string; adminUrl: string; template: string } | undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const silent = { info: () => undefined, debug: () => undefined, warn: () => undefined };

/**
 * Prepares one PostgreSQL for the run: TEST_DATABASE_URL or DATABASE_URL when set, otherwise an
 * embedded one in a temporary directory. Builds a template database (migrated, demo seeded) that
 * every test file copies into a database of its own.
 */
export default async function globalSetup(): Promise<void> {
  let embedded: EmbeddedDatabase | undefined;
  let dataDir: string | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (!adminUrl) {
    const { startEmbeddedPostgres } = await import('../../src/db/embedded');
    dataDir = mkdtempSync(path.join(tmpdir(), 'safeshare-test-'));
    // As root, PostgreSQL runs as the `postgres` user, which must be able to reach its cluster.
    chmodSync(dataDir, 0o711);
    embedded = await startEmbeddedPostgres({
      dataDir,
      port: await freePort(),
      database: 'postgres',
      log: silent,
      ephemeral: true,
    });
    adminUrl = embedded.adminUrl;
  }
  const template = `safeshare_tpl_${process.pid}`;
  await withAdminClient(adminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${template}`);
  });
  const db = createDataSource({ url: databaseUrl(adminUrl, template), poolMax: 2 });
  await db.initialize();
  try {
    await runMigrations(db);
    await seedDemo(db, TEST_ARGON2);
  } finally {
    await db.destroy();
  }
  process.env[TEST_ADMIN_URL_ENV] = adminUrl;
  process.env[TEST_TEMPLATE_ENV] = template;
  globalThis.__SAFESHARE_TEST__ = { embedded, dataDir, adminUrl, template };
}
