// Safeshare with read auditing switched off, in production mode: the "audit off" server of
// `npm run bench`, to price the read audit. Benchmarks only.
//
// The environment cannot ask for this: src/config.ts refuses AUDIT_READS=false in production, on
// purpose (an operator must not be able to switch the audit off), and that refusal stays. This
// launcher runs the built CLI's own `serve` (dist/src/main.js, unchanged: same database, pool,
// workers and server) after wrapping the loaded configuration so that `auditReads` is false. It
// refuses to start if the wrapper was not the configuration `serve` used.
//
//   DATABASE_URL=... JWT_SECRET=... NODE_ENV=production PORT=4202 node bench/unaudited-server.mjs [path/to/dist/src/main.js]
import { createRequire } from 'node:module';
import path from 'node:path';
import { setImmediate } from 'node:timers';
import { MAIN } from './common.mjs';

const main = path.resolve(process.argv[2] ?? process.env.BENCH_MAIN ?? MAIN);
const require = createRequire(main);
// The CLI's compiled CommonJS calls `config_1.loadConfig()` through the module's exports object,
// so replacing the export before the CLI is loaded is what `serve` will call.
const configModule = require('./config.js');
const loadConfig = configModule.loadConfig;
if (typeof loadConfig !== 'function') throw new Error(`${main}: no loadConfig export in config.js beside it`);
let used = false;
configModule.loadConfig = (...args) => {
  const config = loadConfig(...args);
  used = true;
  return { ...config, auditReads: false };
};
if (configModule.loadConfig === loadConfig) throw new Error('could not wrap loadConfig (exports are read-only)');

process.argv = [process.argv[0], main, 'serve'];
require(main);
// `serve` reads its configuration synchronously on start; a build that does it otherwise would
// silently audit (or worse, be measured as something it is not): stop rather than run.
setImmediate(() => {
  if (!used) {
    console.error('unaudited-server: the CLI did not load its configuration through config.js; not running an unverified server');
    process.exit(3);
  }
});
