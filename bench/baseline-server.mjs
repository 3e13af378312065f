// The baseline for `npm run bench`: the least a GraphQL server can do to answer the benchmark's list
// query on the same database. Apollo Server and pg only: no type-graphql, no TypeORM, no
// authentication, no policy, no audit, no DataLoader. What Safeshare costs beyond this is the price
// of its framework and of its safeguards; bench/load.mjs reports the ratio.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/safeshare_bench_1m PORT=4203 node bench/baseline-server.mjs
//
// Same pool size as Safeshare's default (DB_POOL_MAX, 10). Listens on 127.0.0.1 only.
import { createServer } from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import pg from 'pg';

const port = Number(process.env.PORT ?? 4203);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });

const typeDefs = `#graphql
  type Agency { id: ID!  name: String!  kind: String! }
  type Subject { id: ID!  fullName: String! }
  type ReportSubjectLink { role: String!  subject: Subject! }
  type IntelligenceReport {
    id: ID!  reference: String!  narrative: String  receivedAt: String!  submittedBy: Agency!  subjects: [ReportSubjectLink!]!
  }
  type Edge { cursor: String!  node: IntelligenceReport! }
  type Connection { edges: [Edge!]!  totalCount: Int! }
  input IntelligenceFilter { division: ID }
  type Query { intelligenceReports(filter: IntelligenceFilter, first: Int): Connection! }
`;

const resolvers = {
  Query: {
    // Newest first, as Safeshare lists them; agencies and linked subjects in one query each.
    async intelligenceReports(_root, { filter, first }) {
      const limit = Math.min(first ?? 20, 100);
      const division = filter?.division ?? null;
      const { rows } = await pool.query(
        `SELECT id, reference, narrative, received_at, submitted_by_agency_id FROM intelligence_reports
          WHERE ($1::text IS NULL OR division_id = $1) ORDER BY received_at DESC, id DESC LIMIT $2`,
        [division, limit],
      );
      const ids = rows.map((r) => r.id);
      const [agencies, links] = await Promise.all([
        pool.query(`SELECT id, name, kind FROM agencies WHERE id = ANY($1::uuid[])`, [
          [...new Set(rows.map((r) => r.submitted_by_agency_id))],
        ]),
        pool.query(
          `SELECT rs.report_id, rs.role, s.id, s.full_name FROM report_subjects rs JOIN subjects s ON s.id = rs.subject_id
            WHERE rs.report_id = ANY($1::uuid[]) ORDER BY rs.linked_at, s.id`,
          [ids],
        ),
      ]);
      const agencyById = new Map(agencies.rows.map((a) => [a.id, a]));
      const edges = rows.map((r) => ({
        cursor: r.id,
        node: {
          id: r.id,
          reference: r.reference,
          narrative: r.narrative,
          receivedAt: r.received_at.toISOString(),
          submittedBy: agencyById.get(r.submitted_by_agency_id),
          subjects: links.rows
            .filter((l) => l.report_id === r.id)
            .map((l) => ({ role: l.role, subject: { id: l.id, fullName: l.full_name } })),
        },
      }));
      return { edges, division };
    },
  },
  Connection: {
    // Counted only when asked for.
    async totalCount({ division }) {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM intelligence_reports WHERE ($1::text IS NULL OR division_id = $1)`,
        [division],
      );
      return rows[0].n;
    },
  },
};

const apollo = new ApolloServer({ typeDefs, resolvers });
await apollo.start();

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  if (req.method !== 'POST' || !req.url?.startsWith('/graphql')) {
    res.writeHead(404).end();
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    let parsed;
    try {
      parsed = JSON.parse(body);
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"errors":[{"message":"bad JSON"}]}');
      return;
    }
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) headers.set(k, Array.isArray(v) ? v.join(', ') : (v ?? ''));
    apollo
      .executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: 'POST', headers, search: '', body: parsed },
        context: async () => ({}),
      })
      .then(async (response) => {
        const out = {};
        for (const [k, v] of response.headers) out[k] = v;
        res.writeHead(response.status ?? 200, out);
        if (response.body.kind === 'complete') res.end(response.body.string);
        else {
          for await (const chunk of response.body.asyncIterator) res.write(chunk);
          res.end();
        }
      })
      .catch((error) => {
        res.writeHead(500).end(String(error));
      });
  });
});
server.listen(port, '127.0.0.1', () => console.log(`baseline on http://127.0.0.1:${port}/graphql`));

const stop = () => {
  server.close();
  void apollo.stop().then(() => pool.end());
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
