// Stops whatever a cluster left running and removes its temp dir: CI's safety net after
// `npm run cluster:test` (which cleans up after itself on success, failure and signals).
//   CLUSTER_STATE_FILE=/tmp/x node cluster/cleanup.mjs
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PgNode } from './postgres.mjs';

const stateFile = process.env.CLUSTER_STATE_FILE;
const root = stateFile && existsSync(stateFile) ? readFileSync(stateFile, 'utf8').trim() : '';
if (!root || !existsSync(root)) {
  if (stateFile) rmSync(stateFile, { force: true });
  process.exit(0);
}
const pidsFile = path.join(root, 'pids');
for (const pid of existsSync(pidsFile) ? readFileSync(pidsFile, 'utf8').split('\n').filter(Boolean) : []) {
  try {
    process.kill(Number(pid), 'SIGKILL');
    console.log(`cleanup: killed ${pid}`);
  } catch {
    // Already gone.
  }
}
for (const name of ['primary', 'standby']) new PgNode(name, path.join(root, name), 0, '').stopQuietly();
rmSync(root, { recursive: true, force: true });
rmSync(stateFile, { force: true });
console.log(`cleanup: removed ${root}`);
