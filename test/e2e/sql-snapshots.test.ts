/**
 * The SQL behind who sees what, committed as text so a change to it shows as a diff in review:
 * docs/sql/<account>.sql, one file per demo account (docs/sql/README.md). Each holds
 *  - every read and edge scope of src/policy/ rendered for that account's principal, and
 *  - the statements the service sends for each list query (every root Query field returning a
 *    connection) over the real HTTP API, or the refusal code when the account may not list it.
 *
 * Regenerate after an intended change, and review the diff:
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx jest test/e2e/sql-snapshots.test.ts -u
 * (or UPDATE_SQL_SNAPSHOTS=1 in place of -u).
 *
 * Deterministic across databases and runs: whitespace is collapsed (statements keep their text
 * wherever they are written), demo ids are named (<agency:…>, <user:…>, <service:…>), other ids
 * and timestamps replaced.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getNamedType, GraphQLObjectType, isNonNullType, type GraphQLField } from 'graphql';
import ts from 'typescript';
import type { AgencyKind } from '../../src/agencies/agency-kind';
import type { Principal } from '../../src/auth/principal';
import { raw, Sql } from '../../src/db/sql';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERS } from '../../src/demo/demo-seed';
import { classifyError } from '../../src/errors';
import { buildAppSchema } from '../../src/graphql/schema';
import type { Role } from '../../src/policy/roles';
import type { ServiceScope } from '../../src/users/service-account.entity';
import { codes, startTestApp, type TestApp } from '../support/test-app';

const ROOT = path.join(__dirname, '../..');
const SNAPSHOT_DIR = path.join(ROOT, 'docs/sql');
const POLICY_DIR = path.join(ROOT, 'src/policy');
const REGENERATE = 'TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx jest test/e2e/sql-snapshots.test.ts -u';

/** `-u` (jest's own flag, read from its snapshot state so it works in a worker too) or UPDATE_SQL_SNAPSHOTS=1. */
const updating = () =>
  process.env.UPDATE_SQL_SNAPSHOTS === '1' ||
  (expect.getState().snapshotState as unknown as { _updateSnapshot?: string } | undefined)?._updateSnapshot === 'all';

// --- Normalising -----------------------------------------------------------------------------------

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const TIMESTAMP = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?/g;
const DATE = /\b\d{4}-\d{2}-\d{2}\b/g;

/** The demo's own ids by name (agencies, accounts, fixtures); set once the database is known. */
const names = new Map<string, string>();

/** Replaces ids and timestamps in one entry's text; ids without a name are numbered in order of appearance. */
class Normaliser {
  private readonly others = new Map<string, string>();

  text(text: string): string {
    return text
      .replace(UUID, (id) => {
        const key = id.toLowerCase();
        const named = names.get(key);
        if (named) return named;
        if (!this.others.has(key)) this.others.set(key, `<uuid:${this.others.size + 1}>`);
        return this.others.get(key)!;
      })
      .replace(TIMESTAMP, '<timestamp>')
      .replace(DATE, '<date>');
  }

  value(value: unknown): string {
    if (value instanceof Date) return '<timestamp>';
    if (typeof value === 'string') {
      const text = this.text(value);
      return /^<[^<>]*>$/.test(text) ? text : JSON.stringify(text);
    }
    if (Array.isArray(value)) return `[${value.map((v) => this.value(v)).join(', ')}]`;
    return this.text(JSON.stringify(value) ?? String(value));
  }
}

const KEYWORDS =
  /(SELECT|FROM|WHERE|(LEFT |RIGHT |FULL |INNER |CROSS )?(OUTER )?JOIN|AND|OR|ORDER BY|GROUP BY|HAVING|LIMIT|OFFSET|UNION( ALL)?|RETURNING|ON CONFLICT|VALUES|SET)\b/y;

/** The text with each run of whitespace outside quotes made one space (quoted text kept as written). */
function collapse(text: string): string {
  return text
    .split(/('(?:[^']|'')*'|"(?:[^"]|"")*")/)
    .map((part, i) => (i % 2 ? part : part.replace(/\s+/g, ' ')))
    .join('')
    .trim();
}

/**
 * One statement as readable, stable text: whitespace collapsed (so re-indenting or moving a query
 * changes nothing), then a line per clause and condition, indented by parenthesis depth, so a diff
 * points at the clause that changed.
 */
function formatSql(statement: string): string {
  const text = collapse(statement);
  const lines: string[] = [];
  let line = '';
  let depth = 0;
  let lineDepth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = null; // a doubled quote closes and reopens: the same text
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else {
      KEYWORDS.lastIndex = i;
      if ((i === 0 || /[\s(]/.test(text[i - 1])) && KEYWORDS.test(text) && line.trim() && !line.trimEnd().endsWith('(')) {
        lines.push('  '.repeat(lineDepth) + line.trim());
        line = '';
        lineDepth = depth;
      }
      if (ch === '(') depth++;
      if (ch === ')') depth--;
    }
    line += ch;
  }
  if (line.trim()) lines.push('  '.repeat(lineDepth) + line.trim());
  return lines.join('\n');
}

/** A statement or scope with its bound values, normalised. */
function entry(query: { text: string; values: readonly unknown[] }): string {
  const n = new Normaliser();
  const text = formatSql(n.text(query.text));
  const values = query.values.map((v, i) => `--   $${i + 1} = ${n.value(v)}`);
  return [text, ...values].join('\n');
}

// --- The demo accounts -----------------------------------------------------------------------------

interface Account {
  /** The email, or the partner app's client id. */
  login: string;
  /** The snapshot file's name. */
  file: string;
  principal: Principal;
  token: string;
}

const fileOf = (login: string) => {
  const [local, domain] = login.split('@');
  return domain ? `${domain.replace(/\.example$/, '')}.${local}.sql` : `${login}.service.sql`;
};

let app: TestApp;
const accounts: Account[] = [];
const fixtures: { subjectId: string; endpointId: string; userId: string } = { subjectId: '', endpointId: '', userId: '' };

beforeAll(async () => {
  app = await startTestApp();
  const agencies = (await app.ownerQuery(`SELECT id, name FROM agencies`)) as { id: string; name: string }[];
  for (const a of agencies) names.set(a.id, `<agency:${a.name}>`);
  const users = (await app.ownerQuery(
    `SELECT u.id, u.email, u.display_name, u.roles::text[] AS roles, a.id AS agency_id, a.name AS agency_name, a.kind
       FROM users u JOIN agencies a ON a.id = u.agency_id`,
  )) as { id: string; email: string; display_name: string; roles: Role[]; agency_id: string; agency_name: string; kind: AgencyKind }[];
  for (const u of users) names.set(u.id, `<user:${u.email}>`);
  const services = (await app.ownerQuery(
    `SELECT s.id, s.client_id, s.name, s.scopes::text[] AS scopes, a.id AS agency_id, a.name AS agency_name, a.kind
       FROM service_accounts s JOIN agencies a ON a.id = s.agency_id`,
  )) as { id: string; client_id: string; name: string; scopes: ServiceScope[]; agency_id: string; agency_name: string; kind: AgencyKind }[];
  for (const s of services) names.set(s.id, `<service:${s.client_id}>`);

  // The principal each account signs in as, built from the database as loadPrincipal does.
  const session = { sessionId: '<session>', tokenId: '<token>' };
  for (const { email } of DEMO_USERS) {
    const u = users.find((row) => row.email === email)!;
    const principal: Principal = {
      kind: 'USER',
      id: u.id,
      displayName: u.display_name,
      agency: { id: u.agency_id, name: u.agency_name, kind: u.kind },
      roles: u.roles,
      scopes: [],
      ...session,
    };
    accounts.push({ login: email, file: fileOf(email), principal, token: (await app.login(email)).accessToken });
  }
  const s = services.find((row) => row.client_id === DEMO_CLIENT_ID)!;
  const signIn = await app.gql<{ serviceToken: { accessToken: string } }>(
    'mutation($c: String!, $s: String!) { serviceToken(clientId: $c, clientSecret: $s) { accessToken } }',
    { c: DEMO_CLIENT_ID, s: DEMO_CLIENT_SECRET },
  );
  accounts.push({
    login: DEMO_CLIENT_ID,
    file: fileOf(DEMO_CLIENT_ID),
    principal: {
      kind: 'SERVICE',
      id: s.id,
      displayName: s.name,
      agency: { id: s.agency_id, name: s.agency_name, kind: s.kind },
      roles: [],
      scopes: s.scopes,
      ...session,
    },
    token: signIn.body.data!.serviceToken.accessToken,
  });

  // A subject for the lists that need one: the first by a stable order, named as a fixture.
  [{ id: fixtures.subjectId }] = (await app.ownerQuery(`SELECT id FROM subjects ORDER BY full_name, created_at, id LIMIT 1`)) as {
    id: string;
  }[];
  names.set(fixtures.subjectId, '<subject:fixture>');
  // A webhook endpoint of the school's, for its delivery log.
  [{ id: fixtures.endpointId }] = (await app.ownerQuery(
    `INSERT INTO webhook_endpoints (agency_id, url, events, secret, created_by)
     SELECT u.agency_id, 'http://127.0.0.1:9/fixture', '{FLAG_APPROVED}', $1, u.id FROM users u WHERE u.email = 'admin@brookfield-high.example'
     RETURNING id`,
    [`whsec_${Buffer.alloc(32, 5).toString('base64')}`],
  )) as { id: string }[];
  names.set(fixtures.endpointId, '<webhook_endpoint:fixture>');
  // A user of the school's, whose sessions its admin lists.
  [{ id: fixtures.userId }] = (await app.ownerQuery(`SELECT id FROM users WHERE email = 'lead@brookfield-high.example'`)) as {
    id: string;
  }[];
}, 60_000);

afterAll(() => app?.close());

// --- Read and edge scopes (src/policy) -------------------------------------------------------------

interface ScopeFunction {
  name: string;
  /** Parameters after the principal (they need arguments of their own). */
  extra: string[];
  /** Declared to return Sql (or Sql | null). */
  returnsSql: boolean;
}

/**
 * The exported functions of a policy module that take a principal first, from its source (the
 * exports at run time have no parameter types): a new scope is found without being listed here.
 */
function principalFunctions(file: string): ScopeFunction[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const exported = (node: ts.Node) =>
    ts.canHaveModifiers(node) && !!ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const found: ScopeFunction[] = [];
  const consider = (name: string, fn: ts.SignatureDeclaration) => {
    const [first, ...rest] = fn.parameters;
    if (!first?.type || !/\bPrincipal\b/.test(first.type.getText(source))) return;
    found.push({
      name,
      extra: rest.filter((p) => !p.questionToken && !p.initializer).map((p) => p.name.getText(source)),
      returnsSql: !!fn.type && /\bSql\b/.test(fn.type.getText(source)),
    });
  };
  for (const statement of source.statements) {
    if (!exported(statement)) continue;
    if (ts.isFunctionDeclaration(statement) && statement.name) consider(statement.name.text, statement);
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) {
          consider(d.name.text, d.initializer);
        }
      }
    }
  }
  return found;
}

/**
 * Arguments for the scope functions that take more than the principal, by function and parameter.
 * A new one fails the test until it is given its argument here.
 */
const EXTRA_ARGUMENTS: Record<string, Record<string, unknown>> = {
  reportHasVisibleLink: { where: raw('<where>') },
};

interface PolicyScope {
  name: string;
  fn: (p: Principal, ...rest: unknown[]) => unknown;
  extra: unknown[];
  returnsSql: boolean;
}

/** Code-point order: the same on every machine, whatever its locale. */
const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Every scope function of src/policy/, by name, with the module's run-time export. */
async function policyScopes(): Promise<PolicyScope[]> {
  const scopes = new Map<string, PolicyScope>();
  for (const file of readdirSync(POLICY_DIR).filter((f) => f.endsWith('.ts'))) {
    const module = (await import(path.join(POLICY_DIR, file))) as Record<string, unknown>;
    for (const f of principalFunctions(path.join(POLICY_DIR, file))) {
      const fn = module[f.name];
      if (typeof fn !== 'function') throw new Error(`${file} exports no function ${f.name}`);
      if (scopes.has(f.name)) throw new Error(`two policy modules export ${f.name}`);
      const missing = f.extra.filter((p) => !(p in (EXTRA_ARGUMENTS[f.name] ?? {})));
      if (f.returnsSql && missing.length) {
        throw new Error(`give ${f.name}'s ${missing.join(', ')} an argument in EXTRA_ARGUMENTS (sql-snapshots.test.ts)`);
      }
      if (!f.returnsSql && f.extra.length) continue;
      scopes.set(f.name, {
        name: f.name,
        fn: fn as PolicyScope['fn'],
        extra: f.extra.map((p) => EXTRA_ARGUMENTS[f.name]?.[p]),
        returnsSql: f.returnsSql,
      });
    }
  }
  return [...scopes.values()].sort(byName);
}

/** Each scope for `p`: its SQL and values, none (null) or the refusal it throws. */
function renderScopes(p: Principal, scopes: PolicyScope[]): string[] {
  const rendered: string[] = [];
  for (const scope of scopes) {
    let result: unknown;
    try {
      result = scope.fn(p, ...scope.extra);
    } catch (error) {
      if (!scope.returnsSql) continue;
      const refusal = classifyError(error);
      if (refusal === 'internal') throw error;
      rendered.push(`-- ${scope.name}: refused ${refusal.extensions.code} (${refusal.message})`);
      continue;
    }
    if (result instanceof Sql) rendered.push(`-- ${scope.name}\n${entry(result.toQuery())}`);
    // A function declared to return a scope may return none; anything else (a boolean, a list) is not a scope.
    else if (result === null && scope.returnsSql) rendered.push(`-- ${scope.name}: none (null: no rows at all)`);
  }
  return rendered;
}

// --- List queries over HTTP ------------------------------------------------------------------------

/**
 * Values for the required arguments of list queries, by `field.argument`. A new required argument
 * fails the test until it is given a value here.
 */
const REQUIRED_ARGUMENTS: Record<string, () => unknown> = {
  'searchIntelligence.text': () => 'school',
  'subjectAccessHistory.subjectId': () => fixtures.subjectId,
  'webhookDeliveries.endpointId': () => fixtures.endpointId,
  'userSessions.userId': () => fixtures.userId,
};

interface ListQuery {
  field: string;
  document: string;
  variables: Record<string, unknown>;
}

/** Every root Query field returning a connection, as a minimal request: required arguments, the count, the nodes' ids. */
async function listQueries(): Promise<ListQuery[]> {
  const schema = await buildAppSchema();
  const fields = Object.values(schema.getQueryType()!.getFields()) as GraphQLField<unknown, unknown>[];
  return fields
    .filter((f) => getNamedType(f.type).name.endsWith('Connection'))
    .sort(byName)
    .map((f) => {
      const connection = getNamedType(f.type) as GraphQLObjectType;
      const node = getNamedType(
        (getNamedType(connection.getFields().edges.type) as GraphQLObjectType).getFields().node.type,
      ) as GraphQLObjectType;
      const required = f.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
      const variables: Record<string, unknown> = {};
      for (const a of required) {
        const value = REQUIRED_ARGUMENTS[`${f.name}.${a.name}`];
        if (!value) throw new Error(`give ${f.name}(${a.name}) a value in REQUIRED_ARGUMENTS (sql-snapshots.test.ts)`);
        variables[a.name] = value();
      }
      const declared = required.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
      const passed = required.map((a) => `${a.name}: $${a.name}`).join(', ');
      const selection = [
        'totalCount' in connection.getFields() ? 'totalCount' : '',
        `edges { node { ${'id' in node.getFields() ? 'id' : '__typename'} } }`,
      ].join(' ');
      return {
        field: f.name,
        document: `query${declared ? `(${declared})` : ''} { ${f.name}${passed ? `(${passed})` : ''} { ${selection} } }`,
        variables,
      };
    });
}

/**
 * The plumbing every request shares is left out of the lists, so each shows only its own reads:
 * the transaction's opening (its BEGIN and the row-security setting, shown once per account, at the
 * top) and COMMIT; the audit insert (the same statement for every request, whose values list the
 * records read: their ids, noise here); and the caller's principal, looked up only when its cache
 * entry has expired (the warm-up request fills it, so this is seldom seen). Savepoints are mutations'.
 */
const OPENING = /^BEGIN\b/;
const PLUMBING = [
  /^(COMMIT|ROLLBACK)\b/,
  /^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b/,
  /\bINSERT INTO audit_events\b/,
  /^SELECT u\.id, u\.display_name\b[\s\S]*\bFROM auth_sessions s\b|^SELECT sa\.id, sa\.name AS display_name\b[\s\S]*\bFROM auth_sessions s\b/,
];

/** The account's request for `list`: its statements (the second time, so caches warmed by the first add nothing), or its refusal. */
async function listStatements(account: Account, list: ListQuery): Promise<{ opening: string[]; rendered: string }> {
  await app.gql(list.document, list.variables, account.token);
  app.statements.length = 0;
  const response = await app.gql(list.document, list.variables, account.token);
  const sent = app.statements.splice(0);
  const opening = sent.filter((s) => OPENING.test(s.query)).map((s) => new Normaliser().text(s.query));
  const refused = codes(response);
  if (refused.length) return { opening, rendered: `-- Query.${list.field}: refused ${refused.join(', ')}` };
  const own = sent.filter((s) => !OPENING.test(s.query) && !PLUMBING.some((p) => p.test(s.query)));
  const statements = own.map(
    (s, i) => `-- Query.${list.field} (${i + 1} of ${own.length})\n${entry({ text: s.query, values: s.parameters })}`,
  );
  return { opening, rendered: statements.length ? statements.join('\n\n') : `-- Query.${list.field}: no statements` };
}

// --- The snapshot ----------------------------------------------------------------------------------

const describeAccount = ({ login, principal: p }: Account) =>
  `${login}: ${p.kind} of ${p.agency.name} (${p.agency.kind}), ${p.kind === 'USER' ? `roles ${p.roles.join(', ') || 'none'}` : `scopes ${p.scopes.join(', ')}`}`;

async function snapshotOf(account: Account, scopes: PolicyScope[], lists: ListQuery[]): Promise<string> {
  const openings = new Set<string>();
  const rendered: string[] = [];
  for (const list of lists) {
    const { opening, rendered: text } = await listStatements(account, list);
    opening.forEach((o) => openings.add(o));
    rendered.push(text);
  }
  return [
    `-- Generated by test/e2e/sql-snapshots.test.ts; do not edit. Regenerate: ${REGENERATE}`,
    `-- ${describeAccount(account)}`,
    '',
    '-- ==== Read and edge scopes (src/policy), for this principal ====',
    '',
    renderScopes(account.principal, scopes).join('\n\n'),
    '',
    '-- ==== List queries over HTTP: the statements sent, in order ====',
    '',
    '-- Every request opens its transaction with:',
    ...[...openings].sort().map((o) => `--   ${o}`),
    '',
    rendered.join('\n\n'),
    '',
  ].join('\n');
}

const LOGINS = [...DEMO_USERS.map((u) => u.email), DEMO_CLIENT_ID];
let scopes: PolicyScope[];
let lists: ListQuery[];
beforeAll(async () => {
  [scopes, lists] = await Promise.all([policyScopes(), listQueries()]);
});

const committedFiles = () =>
  existsSync(SNAPSHOT_DIR)
    ? readdirSync(SNAPSHOT_DIR)
        .filter((f) => f.endsWith('.sql'))
        .sort()
    : [];

it('finds the scopes and lists to snapshot, and has a file for each demo account and no other', () => {
  expect(scopes.map((s) => s.name)).toEqual(expect.arrayContaining(['subjectReadScope', 'reportReadScope', 'auditReadScope']));
  expect(lists.map((l) => l.field)).toEqual(expect.arrayContaining(['intelligenceReports', 'searchIntelligence', 'subjects']));
  const files = LOGINS.map(fileOf).sort();
  if (updating()) {
    mkdirSync(SNAPSHOT_DIR, { recursive: true });
    for (const stale of committedFiles().filter((f) => !files.includes(f))) rmSync(path.join(SNAPSHOT_DIR, stale));
  }
  expect(committedFiles()).toEqual(files);
});

it.each(LOGINS)('%s: its read scopes and list queries are the committed SQL', async (login) => {
  const account = accounts.find((a) => a.login === login)!;
  const rendered = await snapshotOf(account, scopes, lists);
  const file = path.join(SNAPSHOT_DIR, account.file);
  if (updating()) writeFileSync(file, rendered);
  // On a difference: review it, and if it is intended regenerate (the command at the top of this file).
  expect({ file: account.file, sql: rendered }).toEqual({ file: account.file, sql: existsSync(file) ? readFileSync(file, 'utf8') : '' });
});
