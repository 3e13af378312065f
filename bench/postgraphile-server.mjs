// The second peer for `npm run bench`: PostGraphile V5 (amber preset) on the same database, asked
// for the same list in its own natural query shape (bench/load.mjs, PEER_LIST). It is what a team
// would get by pointing a schema-from-the-database server at these tables: no authentication, no
// policy, no audit. It connects as the postgres superuser and so bypasses row security; fine for a
// peer, whose answer the suite checks equal to Safeshare's before timing it.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/safeshare_bench_smoke PORT=4204 NODE_ENV=production node bench/postgraphile-server.mjs
//
// Same pool size as Safeshare's default (DB_POOL_MAX, 10). Listens on 127.0.0.1 only; GET /readyz
// answers once the schema is built, as Safeshare's does.

// PostGraphile V5 wants Node 22; on Node 20 its only missing piece is Promise.withResolvers.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const { createServer } = await import('node:http');
const { default: pg } = await import('pg');
const { postgraphile } = await import('postgraphile');
const { PostGraphileAmberPreset } = await import('postgraphile/presets/amber');
const { makePgService } = await import('postgraphile/adaptors/pg');
const { grafserv } = await import('postgraphile/grafserv/node');

const port = Number(process.env.PORT ?? 4204);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });

// As a superuser it reads every row; as another role row security would narrow its answer (which
// the suite's equality check would then refuse): say so at once rather than leave it to be found.
const { rows } = await pool.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
if (!rows[0]?.rolsuper) console.warn('PostGraphile peer: not connected as a superuser; row security applies to its answers');

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  // Read-only: a superuser's CRUD mutations on the benchmark dataset would only be a way to change it.
  // (Database functions stay, as amber exposes them; the suite calls none.)
  disablePlugins: ['PgMutationCreatePlugin', 'PgMutationUpdateDeletePlugin'],
  pgServices: [makePgService({ pool, schemas: ['public'] })],
  grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false, maxRequestLength: 1024 * 1024 },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
// Build the schema before saying ready: the first request must not pay for introspection.
await pgl.getSchema();
const serv = pgl.createServ(grafserv);
const handler = serv.createHandler();

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  handler(req, res);
});
server.listen(port, '127.0.0.1', () => console.log(`PostGraphile on http://127.0.0.1:${port}/graphql`));

const stop = () => {
  server.close();
  void serv
    .release()
    .then(() => pgl.release())
    .then(() => pool.end());
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
