// npm run cluster: the local scale-out topology (docs/scaling.md), up until Ctrl-C.
import { startCluster } from './cluster.mjs';
import { DEMO_PASSWORD } from './client.mjs';

const cluster = await startCluster({ log: (line) => console.log(`cluster: ${line}`) });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\ncluster: stopping everything');
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
const { ports } = cluster;
console.log(`
Safeshare cluster is up (Ctrl-C stops it all and removes ${cluster.root})
  GraphQL (nginx, least_conn)  ${cluster.url}/graphql
  instances                    ${ports.apps.map((p) => `http://127.0.0.1:${p}`).join('  ')}
  PostgreSQL primary           postgres://postgres@127.0.0.1:${ports.primary}/safeshare
  PostgreSQL hot standby       postgres://postgres@127.0.0.1:${ports.standby}/safeshare
  Redis                        redis://127.0.0.1:${ports.redis}
  logs                         ${cluster.root}/*.log
Demo accounts as in the README (password "${DEMO_PASSWORD}"), e.g.
  curl -s ${cluster.url}/graphql -H 'content-type: application/json' \\
    -d '{"query":"mutation { login(email: \\"analyst@gmp.example\\", password: \\"${DEMO_PASSWORD}\\") { accessToken } }"}'
`);
// nginx's health checks are passive: report an instance that stops answering /readyz.
setInterval(async () => {
  for (const app of cluster.apps) {
    const ok = await fetch(`http://127.0.0.1:${app.port}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (!ok) console.log(`cluster: instance ${app.n} (${app.port}) is not ready`);
  }
}, 5000);
