import {
  getNamedType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { buildAppSchema } from '../../src/graphql/schema';
import { codes, startTestApp, type TestApp } from '../support/test-app';

/**
 * One decision per field and edge: whatever path reaches a record, the caller sees no more of it than
 * the direct path (`subject(id)`, `intelligenceReport(id)`, …) shows, and a link seen from one end is
 * seen from the other. Queries are generated from the built schema: from every root query field, to a
 * bounded depth of records, for every demo account. Every (record kind, id, field, value) reached is
 * compared with the direct path's answer for that record.
 */

/** The case records whose fields and links are compared (each has a direct path, below). */
const CASE_KINDS = ['IntelligenceReport', 'Subject', 'Crime', 'Flag', 'Disclosure', 'Involvement', 'AccessRequest', 'BreakGlassGrant'];
const DEMO_USERS = [
  'analyst@gmp.example',
  'investigator@gmp.example',
  'supervisor@gmp.example',
  'practitioner@rochdale-csc.example',
  'lead@brookfield-high.example',
  'nurse@northern-health.example',
  'reporter@safe-futures.example',
  'auditor@oversight.example',
  'admin@oversight.example',
  'auditor@gmp.example',
];
const SERVICE = 'safe-futures-app';
/** Record hops below a root; page size of root connections (police read everything: a sample). */
const HOPS = 3;
const ROOT_FIRST = 15;
const BATCH = 40;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

let app: TestApp;
let schema: GraphQLSchema;
const tokens = new Map<string, string>();

beforeAll(async () => {
  // A generated query is wider than any client's: the limits are an operator's setting.
  app = await startTestApp({
    MAX_QUERY_DEPTH: '40',
    MAX_QUERY_ALIASES: '1000',
    MAX_QUERY_FIELDS: '10000',
    MAX_QUERY_COST: '10000000',
    MAX_QUERY_TOKENS: '100000',
    MAX_QUERY_BYTES: '1000000',
  });
  schema = await buildAppSchema();
  for (const email of DEMO_USERS) tokens.set(email, (await app.login(email)).accessToken);
  const service = await app.gql<{ serviceToken: { accessToken: string } }>(
    `mutation { serviceToken(clientId: "${SERVICE}", clientSecret: "safeshare-demo-secret") { accessToken } }`,
  );
  tokens.set(SERVICE, service.body.data!.serviceToken.accessToken);
  // Break-glass reaches reports outside the normal scope: each care reader holds one, on a subject
  // of a report with other subjects too (whose links must stay withheld).
  const [{ subject_id }] = (await app.ownerQuery(
    `SELECT rs.subject_id FROM report_subjects rs
      WHERE (SELECT count(*) FROM report_subjects o WHERE o.report_id = rs.report_id) > 1
      ORDER BY rs.linked_at, rs.subject_id LIMIT 1`,
  )) as { subject_id: string }[];
  for (const email of ['practitioner@rochdale-csc.example', 'lead@brookfield-high.example', 'nurse@northern-health.example']) {
    const r = await app.gql(
      `mutation($s: ID!) { breakGlass(subjectId: $s, reason: "Child missing overnight, police unreachable") { id } }`,
      { s: subject_id },
      tokens.get(email),
    );
    expect(r.body.errors).toBeUndefined();
  }
}, 120_000);
afterAll(() => app.close());

// ---- Queries generated from the schema -------------------------------------------------------

/** A kind without a root of its own is read through its parent: a flag in its subject's `flags`. */
const VIA_PARENT: Record<string, { parent: string; idField: string; field: string }> = {
  Flag: { parent: 'Subject', idField: 'subjectId', field: 'flags' },
};

const isRecordType = (t: GraphQLObjectType) => 'id' in t.getFields();
const needsArgs = (f: GraphQLField<unknown, unknown>) => f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined);

/**
 * Every field of `type` without required arguments: leaves as they are, objects below it; a record
 * `hops` or more levels down is selected by id alone (so it is compared on its own direct path).
 */
function selection(type: GraphQLObjectType, hops: number, nest = 0): string {
  if (isRecordType(type) && hops <= 0) return `__typename id ${VIA_PARENT[type.name]?.idField ?? ''}`;
  const parts = ['__typename'];
  for (const field of Object.values(type.getFields())) {
    if (needsArgs(field) || nest > 12) continue;
    const named = getNamedType(field.type);
    if (isLeafType(named)) parts.push(field.name);
    else if (isObjectType(named)) parts.push(`${field.name} { ${selection(named, isRecordType(type) ? hops - 1 : hops, nest + 1)} }`);
  }
  return parts.join(' ');
}

/** A plausible literal for a required argument (dates wide, text common, ids of records seen). */
function literal(type: GraphQLInputType, name: string, ids: Map<string, string[]>): string | undefined {
  const t = isNonNullType(type) ? type.ofType : type;
  if (isListType(t)) return undefined;
  if (isEnumType(t)) return t.getValues()[0].name;
  if (isInputObjectType(t)) {
    const fields = Object.values(t.getFields()).filter((f) => isNonNullType(f.type));
    const values = fields.map((f) => [f.name, literal(f.type, f.name, ids)] as const);
    if (values.some(([, v]) => v === undefined)) return undefined;
    return `{ ${values.map(([k, v]) => `${k}: ${v}`).join(', ')} }`;
  }
  switch (t.name) {
    case 'DateTime':
      // The last 300 days: within every range limit (statistics, anomalies), covering the current cohort.
      return JSON.stringify(new Date(Date.now() + (name === 'from' ? -300 : 1) * 86_400_000).toISOString());
    case 'String':
      return '"child"';
    case 'Int':
      return '1';
    case 'Boolean':
      return 'true';
    case 'ID': {
      const kind = kindOfIdArg(name);
      const id = kind && ids.get(kind)?.[0];
      return id ? JSON.stringify(id) : undefined;
    }
    default:
      return undefined;
  }
}

/** `subjectId` names a Subject, `reportId` an IntelligenceReport, …; `id` alone names nothing here. */
function kindOfIdArg(name: string): string | undefined {
  if (!name.endsWith('Id')) return undefined;
  const word = name.slice(0, -2).toLowerCase();
  return CASE_KINDS.find((k) => k.toLowerCase() === word || k.toLowerCase().endsWith(word));
}

/** Root query fields that reach records, each as a document (null when an argument cannot be made up). */
/**
 * Root fields that need one of their optional arguments (GraphQL cannot say "exactly one of"): the
 * walk gives them the first, as if it were required.
 */
const ONE_OF_REQUIRED: Record<string, string> = { subjectAccessHistory: 'subjectId' };

function rootQueries(ids: Map<string, string[]>): { name: string; query: string }[] {
  const out: { name: string; query: string }[] = [];
  for (const field of Object.values(schema.getQueryType()!.getFields())) {
    const named = getNamedType(field.type);
    if (!isObjectType(named) || field.name.startsWith('__')) continue;
    const args: string[] = [];
    let possible = true;
    for (const arg of field.args) {
      if (arg.name === 'first') args.push(`first: ${ROOT_FIRST}`);
      else if (isNonNullType(arg.type) || ONE_OF_REQUIRED[field.name] === arg.name) {
        const value = literal(arg.type, arg.name, ids);
        if (value === undefined) possible = false;
        else args.push(`${arg.name}: ${value}`);
      }
    }
    if (!possible) continue;
    out.push({ name: field.name, query: `{ ${field.name}${args.length ? `(${args.join(', ')})` : ''} { ${selection(named, HOPS)} } }` });
  }
  return out;
}

// ---- Collecting what each path shows ---------------------------------------------------------

/** A value as compared across paths: a record by kind and id, anything else by its content. */
function key(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(key).join(',')}]`;
  if (typeof value.id === 'string' && typeof value.__typename === 'string') return `${value.__typename}:${value.id}`;
  return `{${Object.keys(value)
    .filter((k) => k !== '__typename')
    .sort()
    .map((k) => `${k}=${key(value[k])}`)
    .join(';')}}`;
}

interface Seen {
  /** record → field → value keys seen, with one path that showed each. */
  values: Map<string, Map<string, Map<string, string>>>;
  /** record → its raw object as last seen (for scalars such as subjectId). */
  objects: Map<string, Obj>;
  /** Field values a record on a path showed while naming the field redacted. */
  shownWhileRedacted: string[];
  /** Connections whose totalCount disagrees with a last page. */
  badCounts: string[];
}

const newSeen = (): Seen => ({ values: new Map(), objects: new Map(), shownWhileRedacted: [], badCounts: [] });

const empty = (v: Json) => v === null || (Array.isArray(v) && v.length === 0);

function collect(seen: Seen, value: Json, path: string): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) return value.forEach((v, i) => collect(seen, v, `${path}[${i}]`));
  const page = value.pageInfo as Obj | undefined;
  if (
    page &&
    Array.isArray(value.edges) &&
    typeof value.totalCount === 'number' &&
    page.hasNextPage === false &&
    page.hasPreviousPage !== true
  ) {
    if (value.totalCount !== value.edges.length) seen.badCounts.push(`${path}: ${value.totalCount} vs ${value.edges.length}`);
  }
  const kind = value.__typename as string;
  if (typeof value.id === 'string' && CASE_KINDS.includes(kind)) {
    const record = `${kind}:${value.id}`;
    const fields = seen.values.get(record) ?? new Map<string, Map<string, string>>();
    seen.values.set(record, fields);
    seen.objects.set(record, { ...(seen.objects.get(record) ?? {}), ...value });
    const redacted = Array.isArray(value.redactedFields) ? (value.redactedFields as string[]) : [];
    for (const [field, v] of Object.entries(value)) {
      if (field === '__typename' || field === 'id' || v === undefined) continue;
      if (redacted.includes(field) && !empty(v)) seen.shownWhileRedacted.push(`${path}.${field} = ${key(v)}`);
      if (empty(v)) continue;
      const at = fields.get(field) ?? new Map<string, string>();
      fields.set(field, at);
      for (const item of Array.isArray(v) && field !== 'redactedFields' ? v : [v]) if (!at.has(key(item))) at.set(key(item), path);
    }
  }
  for (const [field, v] of Object.entries(value)) collect(seen, v, `${path}.${field}`);
}

async function ask(token: string, query: string, seen: Seen, path: string): Promise<Obj | null> {
  const r = await app.gql<Obj>(query, {}, token);
  if (r.status !== 200 && !r.body.data) throw new Error(`${path}: HTTP ${r.status} ${JSON.stringify(r.body.errors)}`);
  for (const e of r.body.errors ?? []) {
    const code = e.extensions?.code;
    if (code !== 'FORBIDDEN' && code !== 'NOT_FOUND') throw new Error(`${path}: ${code} ${e.message}`);
  }
  if (r.body.data) collect(seen, r.body.data, path);
  return r.body.data ?? null;
}

// ---- The direct path of each kind of record --------------------------------------------------

/** Root fields `x(id: ID!)` by the kind they return. */
function byIdRoots(): Map<string, string> {
  const roots = new Map<string, string>();
  for (const f of Object.values(schema.getQueryType()!.getFields())) {
    const named = getNamedType(f.type);
    if (isObjectType(named) && f.args.length === 1 && f.args[0].name === 'id') roots.set(named.name, f.name);
  }
  return roots;
}

/** Root connections returning the kind, with no required argument: their whole list is the direct path. */
function listRoots(): Map<string, string> {
  const roots = new Map<string, string>();
  for (const f of Object.values(schema.getQueryType()!.getFields())) {
    const named = getNamedType(f.type);
    if (!isObjectType(named) || needsArgs(f) || !('edges' in named.getFields())) continue;
    const edge = getNamedType(named.getFields().edges.type) as GraphQLObjectType;
    const nodeType = getNamedType(edge.getFields().node.type) as GraphQLObjectType;
    roots.set(nodeType.name, f.name);
  }
  return roots;
}

/** What the direct path shows of each record asked about (missing: not readable there). */
async function direct(token: string, records: string[]): Promise<Map<string, Obj>> {
  const out = new Map<string, Obj>();
  const ids = byIdRoots();
  const lists = listRoots();
  const byKind = new Map<string, string[]>();
  for (const r of records) {
    const [kind, id] = r.split(':');
    byKind.set(kind, [...(byKind.get(kind) ?? []), id]);
  }
  const throwaway = newSeen();
  for (const [kind, idsOfKind] of byKind) {
    const type = schema.getType(kind) as GraphQLObjectType;
    const sel = selection(type, 1);
    if (ids.has(kind)) {
      for (let i = 0; i < idsOfKind.length; i += BATCH) {
        const chunk = idsOfKind.slice(i, i + BATCH);
        const q = `{ ${chunk.map((id, n) => `a${n}: ${ids.get(kind)}(id: ${JSON.stringify(id)}) { ${sel} }`).join(' ')} }`;
        const data = await ask(token, q, throwaway, `direct ${kind}`);
        chunk.forEach((id, n) => {
          const v = data?.[`a${n}`] as Obj | null | undefined;
          if (v) out.set(`${kind}:${id}`, v);
        });
      }
    } else if (lists.has(kind)) {
      let after: string | null = null;
      do {
        const q = `{ ${lists.get(kind)}(first: 100${after ? `, after: ${JSON.stringify(after)}` : ''}) { pageInfo { hasNextPage endCursor } edges { node { ${sel} } } } }`;
        const data = await ask(token, q, throwaway, `direct ${kind}`);
        const conn = data?.[lists.get(kind)!] as { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: Obj }[] } | null;
        for (const e of conn?.edges ?? []) out.set(`${kind}:${e.node.id as string}`, e.node);
        after = conn?.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
      } while (after);
    } else if (VIA_PARENT[kind]) {
      const { parent, idField, field } = VIA_PARENT[kind];
      const parents = [...new Set(idsOfKind.map((id) => lastSeen.get(`${kind}:${id}`)?.[idField] as string))];
      for (let i = 0; i < parents.length; i += BATCH) {
        const chunk = parents.slice(i, i + BATCH);
        const q = `{ ${chunk.map((id, n) => `a${n}: ${ids.get(parent)}(id: ${JSON.stringify(id)}) { ${field} { ${sel} } }`).join(' ')} }`;
        const data = await ask(token, q, throwaway, `direct ${kind}`);
        chunk.forEach((_, n) => {
          for (const v of ((data?.[`a${n}`] as Obj | null)?.[field] as Obj[] | undefined) ?? []) out.set(`${kind}:${v.id as string}`, v);
        });
      }
    } else throw new Error(`${kind} has no direct path`);
  }
  return out;
}
let lastSeen = new Map<string, Obj>();

/** Fields of `kind` that can name a record of `other` (an object of that type, a link to one, or `<other>Id`). */
function fieldsNaming(kind: string, other: string): string[] {
  const type = schema.getType(kind) as GraphQLObjectType;
  const word = other.replace(/^Intelligence/, '');
  return Object.values(type.getFields())
    .filter((f) => {
      const named = getNamedType(f.type);
      if (isLeafType(named)) return f.name.toLowerCase() === `${word.toLowerCase()}id`;
      if (!isObjectType(named)) return false;
      if (named.name === other) return true;
      return !isRecordType(named) && Object.values(named.getFields()).some((g) => getNamedType(g.type).name === other);
    })
    .map((f) => f.name);
}

/** Everything a role reaches, compared with the direct path: the list of disagreements. */
async function walk(token: string): Promise<string[]> {
  const seen = newSeen();
  const ids = new Map<string, string[]>();
  for (const { name, query } of rootQueries(ids)) await ask(token, query, seen, name);
  const idsByKind = () => {
    ids.clear();
    for (const r of seen.values.keys()) {
      const [kind, id] = r.split(':');
      ids.set(kind, [...(ids.get(kind) ?? []), id]);
    }
  };
  idsByKind();
  // Roots with a required id of a record seen (subjectAccessHistory, …), and every filter naming a record.
  for (const { name, query } of rootQueries(ids)) if (/Id:/.test(query)) await ask(token, query, seen, name);
  for (const [kind, root] of byIdRoots()) {
    const type = schema.getType(kind) as GraphQLObjectType;
    for (const id of ids.get(kind)?.slice(0, 5) ?? [])
      await ask(token, `{ ${root}(id: ${JSON.stringify(id)}) { ${selection(type, HOPS)} } }`, seen, `${root}(${id})`);
  }
  const filtered: { path: string; on: string; nodes: string[] }[] = [];
  for (const field of Object.values(schema.getQueryType()!.getFields())) {
    const filter = field.args.find((a) => a.name === 'filter');
    const named = getNamedType(field.type);
    if (!filter || needsArgs(field) || !isObjectType(named)) continue;
    const input = getNamedType(filter.type);
    if (!isInputObjectType(input)) continue;
    for (const f of Object.values(input.getFields())) {
      const kind = getNamedType(f.type).name === 'ID' ? kindOfIdArg(f.name) : undefined;
      for (const id of (kind && ids.get(kind)?.slice(0, 8)) || []) {
        const path = `${field.name}(filter: { ${f.name}: ${id} })`;
        const data = await ask(
          token,
          `{ ${field.name}(first: 100, filter: { ${f.name}: ${JSON.stringify(id)} }) { ${selection(named, 1)} } }`,
          seen,
          path,
        );
        const conn = data?.[field.name] as { edges: { node: Obj }[] } | null;
        if (conn)
          filtered.push({
            path,
            on: `${kind}:${id}`,
            nodes: conn.edges.map((e) => `${e.node.__typename as string}:${e.node.id as string}`),
          });
      }
    }
  }
  lastSeen = seen.objects;
  const problems = [...seen.shownWhileRedacted.map((p) => `shown while redacted: ${p}`), ...seen.badCounts.map((p) => `count: ${p}`)];
  // Links may name records not yet asked about directly: those too must be readable there.
  const named = new Set(seen.values.keys());
  for (const fields of seen.values.values())
    for (const values of fields.values())
      for (const v of values.keys()) for (const r of linked(v)) if (CASE_KINDS.includes(r.split(':')[0])) named.add(r);
  const views = await direct(token, [...named]);
  const directSeen = newSeen();
  for (const v of views.values()) collect(directSeen, v, 'direct');
  const show = (record: string, field: string) => directSeen.values.get(record)?.get(field) ?? new Map<string, string>();

  for (const record of named)
    if (!views.has(record)) problems.push(`${record} is reached (${firstPath(seen, record)}) but not readable directly`);
  for (const [record, fields] of seen.values) {
    if (!views.has(record)) continue;
    const redacted = (views.get(record)!.redactedFields as string[] | undefined) ?? [];
    for (const [field, values] of fields) {
      if (field === 'redactedFields') continue;
      for (const [v, path] of values) {
        if (redacted.includes(field)) problems.push(`${record}.${field} is redacted directly but ${path} shows ${v}`);
        else if (!show(record, field).has(v)) problems.push(`${record}.${field}: ${path} shows ${v}, the direct path does not`);
      }
    }
  }
  // A link seen from one end is seen from the other, wherever the other end can name it.
  for (const [record, fields] of directSeen.values) {
    const kind = record.split(':')[0];
    for (const [field, values] of fields) {
      if (field === 'redactedFields') continue;
      for (const v of values.keys()) {
        for (const other of linked(v)) {
          const otherKind = other.split(':')[0];
          if (!CASE_KINDS.includes(otherKind) || !views.has(other)) continue;
          // Any one of the fields that can name it (a crime's victims or suspects) must show it.
          const backs = fieldsNaming(otherKind, kind);
          const redacted = (views.get(other)!.redactedFields as string[] | undefined) ?? [];
          const shown = backs.some(
            (back) =>
              !redacted.includes(back) &&
              [...show(other, back).keys()].some((w) => linked(w).includes(record) || w === JSON.stringify(record.split(':')[1])),
          );
          if (backs.length && !shown)
            problems.push(`${record}.${field} links ${other}, but ${other}.${backs.join('/')} does not show ${record}`);
        }
      }
    }
  }
  // A filter naming a record matches only records linked to it on a direct path.
  for (const { path, on, nodes } of filtered) {
    for (const node of nodes) {
      const linkedEither =
        [...(directSeen.values.get(node)?.values() ?? [])].some((vs) =>
          [...vs.keys()].some((v) => linked(v).includes(on) || v === JSON.stringify(on.split(':')[1])),
        ) || [...(directSeen.values.get(on)?.values() ?? [])].some((vs) => [...vs.keys()].some((v) => linked(v).includes(node)));
      if (!linkedEither) problems.push(`${path} matches ${node}, which no direct path links to ${on}`);
    }
  }
  return [...new Set(problems)];
}

/** The records named in a value key (`Kind:id` inside it). */
function linked(v: string): string[] {
  return [...v.matchAll(/([A-Z][A-Za-z]+):([0-9a-f-]{36})/g)].map((m) => `${m[1]}:${m[2]}`);
}

function firstPath(seen: Seen, record: string): string {
  for (const [r, fields] of seen.values)
    for (const values of fields.values()) for (const [v, path] of values) if (linked(v).includes(record)) return `${path} of ${r}`;
  return 'a root';
}

describe.each([...DEMO_USERS, SERVICE])('%s', (account) => {
  it('sees nothing on any path that the direct path withholds', async () => {
    const problems = await walk(tokens.get(account)!);
    expect(problems.slice(0, 20)).toEqual([]);
  }, 300_000);
});

describe.each(['lead@brookfield-high.example', 'nurse@northern-health.example'])('%s', (account) => {
  it('sees a report–subject link only where the report itself shows its subjects', async () => {
    const token = tokens.get(account)!;
    const r = await app.gql<{ subjects: { edges: { node: { id: string; reports: { role: string; report: { id: string } }[] } }[] } }>(
      `{ subjects(first: 50) { edges { node { id reports { role report { id } } } } } }`,
      {},
      token,
    );
    expect(r.body.errors).toBeUndefined();
    for (const { node } of r.body.data!.subjects.edges) {
      for (const link of node.reports) {
        const report = await app.gql<{
          intelligenceReport: { redactedFields: string[]; subjects: { role: string; subject: { id: string } }[] };
        }>(
          `query($id: ID!) { intelligenceReport(id: $id) { redactedFields subjects { role subject { id } } } }`,
          { id: link.report.id },
          token,
        );
        expect(codes(report)).toEqual([]);
        expect(report.body.data!.intelligenceReport.redactedFields).not.toContain('subjects');
        expect(report.body.data!.intelligenceReport.subjects).toContainEqual({ role: link.role, subject: { id: node.id } });
      }
    }
  });
});
