import { rmSync } from 'node:fs';
import { withAdminClient } from './test-database';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__SAFESHARE_TEST__;
  if (!state) return;
  await withAdminClient(state.adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${state.template} WITH (FORCE)`));
  await state.embedded?.stop();
  if (state.dataDir) rmSync(state.dataDir, { recursive: true, force: true });
}
