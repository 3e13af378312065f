import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { getNamedType, GraphQLID, isObjectType } from 'graphql';
import { classifyIdField, cursorNodeKind, isCursorField } from '../../src/audit/handed-out-ids';
import { buildAppSchema } from '../../src/graphql/schema';
import { startTestApp, type TestApp } from '../support/test-app';
import { anyUtf16 } from '../support/unicode';

/**
 * Every id a response hands out is audited: a record's own id, the record behind each cursor
 * (edges and pageInfo), and the record another record's id field names. And every cursor is bound
 * to its list: a cursor from another list, an altered one or any other text is BAD_USER_INPUT.
 */

const ANALYST = 'analyst@gmp.example';
const SUPERVISOR = 'supervisor@gmp.example';
const AUDITOR = 'auditor@oversight.example';
const ADMIN = 'admin@oversight.example';
const LEAD = 'lead@brookfield-high.example';

/** Every root connection, with a caller who sees some of its rows and any arguments it needs. */
const LISTS: Record<string, { as: string; args?: string }> = {
  intelligenceReports: { as: ANALYST },
  searchIntelligence: { as: ANALYST, args: 'text: "party"' },
  subjects: { as: ANALYST },
  crimes: { as: ANALYST },
  involvements: { as: SUPERVISOR },
  disclosures: { as: LEAD },
  accessRequests: { as: SUPERVISOR },
  users: { as: ADMIN },
  partnerApps: { as: ADMIN },
  pendingGrants: { as: ADMIN },
  auditEvents: { as: AUDITOR },
  subjectAccessHistory: { as: AUDITOR, args: 'subjectId: $subjectId' },
  notifications: { as: LEAD },
  webhookDeliveries: { as: ADMIN, args: 'endpointId: $endpointId' },
  breakGlassGrants: { as: AUDITOR },
  staffDirectory: { as: AUDITOR },
  informationSharingAgreements: { as: SUPERVISOR },
  retentionReviews: { as: SUPERVISOR },
  mySessions: { as: ADMIN },
  userSessions: { as: ADMIN, args: 'userId: $userId' },
};

let app: TestApp;
const tokens: Record<string, string> = {};
let subjectId: string;
let endpointId: string;
let userId: string;

beforeAll(async () => {
  app = await startTestApp();
  for (const email of [ANALYST, SUPERVISOR, AUDITOR, ADMIN, LEAD]) tokens[email] = (await app.login(email)).accessToken;
  const [row] = await app.db.query<{ id: string }[]>(`SELECT id FROM subjects ORDER BY created_at LIMIT 1`);
  subjectId = row.id;
  // So the subject has an access history to page through.
  await app.gql(`query($id: ID!) { subject(id: $id) { id } }`, { id: subjectId }, tokens[ANALYST]);
  // So the administrator's webhook has a delivery log to page through.
  const [admin] = await app.db.query<{ id: string; agency_id: string }[]>(`SELECT id, agency_id FROM users WHERE email = $1`, [ADMIN]);
  userId = admin.id;
  [{ id: endpointId }] = await app.db.query<{ id: string }[]>(
    `INSERT INTO webhook_endpoints (agency_id, url, events, secret, created_by)
     VALUES ($1, 'http://127.0.0.1:9/ids', '{FLAG_APPROVED}', $2, $3) RETURNING id`,
    [admin.agency_id, `whsec_${Buffer.alloc(32, 1).toString('base64')}`, admin.id],
  );
  // So the administrator has partner apps to page through.
  for (const clientId of ['ids-app-1', 'ids-app-2']) {
    await app.db.query(
      `INSERT INTO service_accounts (agency_id, client_id, name, secret_hash, scopes) VALUES ($1, $2, 'Ids app', '!', '{SUBMIT_INTELLIGENCE}')`,
      [admin.agency_id, clientId],
    );
  }
  for (let i = 0; i < 3; i++) {
    await app.db.query(
      `WITH ev AS (INSERT INTO notification_events (type, record_kind, record_id) VALUES ('FLAG_APPROVED', 'flag', gen_random_uuid()) RETURNING id)
       INSERT INTO webhook_deliveries (endpoint_id, event_id, type) SELECT $1, id, 'FLAG_APPROVED' FROM ev`,
      [endpointId],
    );
  }
  // So the administrator has pending grants to page through (each new agency waits for a second one).
  for (const name of ['Handed Out Police A', 'Handed Out Police B']) {
    const created = await app.gql(
      'mutation($i: CreateAgencyInput!) { createAgency(input: $i) { id } }',
      { i: { name, kind: 'POLICE' } },
      tokens[ADMIN],
    );
    expect(created.body.errors).toBeUndefined();
  }
});
afterAll(() => app.close());

async function asCaller(as: string, query: string, variables: Record<string, unknown> = {}) {
  const requestId = `ids-${randomUUID()}`;
  const res = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[as]}`, 'x-request-id': requestId },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] };
  return { status: res.status, body, requestId };
}

async function eventOf(requestId: string) {
  const rows = await app.db.query<
    { record_ids: string[]; record_count: number; details: { records?: { id: string; referenced?: boolean }[] } }[]
  >(`SELECT record_ids, record_count, details FROM audit_events WHERE request_id = $1`, [requestId]);
  expect(rows).toHaveLength(1);
  return rows[0];
}

const listQuery = (field: string, selection: string, after = false) => {
  const { args } = LISTS[field];
  const vars = [
    '$first: Int',
    ...(after ? ['$after: String'] : []),
    ...(args?.includes('$subjectId') ? ['$subjectId: ID!'] : []),
    ...(args?.includes('$endpointId') ? ['$endpointId: ID!'] : []),
    ...(args?.includes('$userId') ? ['$userId: ID!'] : []),
  ];
  const passed = ['first: $first', ...(after ? ['after: $after'] : []), ...(args ? [args] : [])];
  return `query CursorsOnly(${vars.join(', ')}) { ${field}(${passed.join(', ')}) { ${selection} } }`;
};

describe('the schema: every ID field and cursor is classified', () => {
  it('names, for each ID-typed field and each cursor of every object type, what it hands out', async () => {
    const schema = await buildAppSchema();
    const unclassified: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        if (isCursorField(field.name)) {
          // A PageInfo is classified per connection: each connection's edges must name their node.
          if (type.name === 'PageInfo') continue;
          if (!cursorNodeKind(schema, type)) unclassified.push(`${type.name}.${field.name} (a cursor without a node)`);
        } else if (getNamedType(field.type) === GraphQLID && !classifyIdField(type, field.name)) {
          unclassified.push(`${type.name}.${field.name}`);
        }
      }
      if (type.getFields().pageInfo && !cursorNodeKind(schema, schema.getType('PageInfo') as never, type.name)) {
        unclassified.push(`${type.name}.pageInfo`);
      }
    }
    expect(unclassified).toEqual([]);
  });

  it('has a case in this file for every root connection whose nodes are case records or not', async () => {
    const schema = await buildAppSchema();
    const connections = Object.values(schema.getQueryType()!.getFields())
      .filter((f) => getNamedType(f.type).name.endsWith('Connection'))
      .map((f) => f.name)
      .sort();
    expect(connections).toEqual(Object.keys(LISTS).sort());
  });
});

describe('ids handed out in cursors are audited', () => {
  // Identities (users, their sessions, the staff directory) and the trail's own events are not case records.
  const audited = Object.entries(LISTS).filter(
    ([field]) =>
      !['users', 'partnerApps', 'mySessions', 'userSessions', 'staffDirectory', 'auditEvents', 'subjectAccessHistory'].includes(field),
  );

  it.each(audited)('%s: edges { cursor } alone lists every record the page names, counted', async (field, { as }) => {
    const nodes = await asCaller(as, listQuery(field, 'edges { node { id } }'), { first: 5, subjectId, endpointId, userId });
    const ids = (nodes.body.data![field] as { edges: { node: { id: string } }[] }).edges.map((e) => e.node.id).sort();
    expect(ids.length).toBeGreaterThan(0);
    const cursors = await asCaller(as, listQuery(field, 'edges { cursor }'), { first: 5, subjectId, endpointId, userId });
    expect(cursors.body.errors).toBeUndefined();
    const event = await eventOf(cursors.requestId);
    expect([...event.record_ids].sort()).toEqual(ids);
    expect(event.record_count).toBe(ids.length);
  });

  it.each(audited)('%s: pageInfo { startCursor endCursor } alone lists the first and last record', async (field, { as }) => {
    const nodes = await asCaller(as, listQuery(field, 'edges { node { id } }'), { first: 5, subjectId, endpointId, userId });
    const ids = (nodes.body.data![field] as { edges: { node: { id: string } }[] }).edges.map((e) => e.node.id);
    const page = await asCaller(as, listQuery(field, 'pageInfo { startCursor endCursor }'), { first: 5, subjectId, endpointId, userId });
    const event = await eventOf(page.requestId);
    expect([...event.record_ids].sort()).toEqual([...new Set([ids[0], ids.at(-1)])].sort());
  });

  it('the acceptance query: 5 cursors of intelligenceReports, 5 record ids in the analyst event the auditor reads', async () => {
    const me = await asCaller(ANALYST, '{ me { id } }');
    const actorId = (me.body.data!.me as { id: string }).id;
    await asCaller(ANALYST, 'query CursorsOnlyXXXX { intelligenceReports(first: 5) { edges { cursor } } }');
    const r = await asCaller(
      AUDITOR,
      `query($actorId: ID!) { auditEvents(filter: { actorId: $actorId }, first: 20) { edges { node { operationName recordIds recordCount } } } }`,
      { actorId },
    );
    const events = (
      r.body.data!.auditEvents as { edges: { node: { operationName: string; recordIds: string[]; recordCount: number } }[] }
    ).edges
      .map((e) => e.node)
      .filter((e) => e.operationName === 'CursorsOnlyXXXX');
    expect(events).toHaveLength(1);
    expect(events[0].recordIds).toHaveLength(5);
    expect(events[0].recordCount).toBe(5);
  });

  it('an id field naming another record lists that record, marked referenced and counted in no total', async () => {
    // Police readers see a disclosure's reportId (other agencies have it withheld).
    const r = await asCaller(SUPERVISOR, '{ disclosures(first: 5) { edges { node { id accessRequestId reportId } } } }');
    expect(r.body.errors).toBeUndefined();
    const nodes = (
      r.body.data!.disclosures as { edges: { node: { id: string; accessRequestId: string | null; reportId: string | null } }[] }
    ).edges.map((e) => e.node);
    const named = nodes.flatMap((n) => [n.accessRequestId, n.reportId]).filter((x): x is string => x !== null);
    expect(named.length).toBeGreaterThan(0);
    const event = await eventOf(r.requestId);
    expect([...event.record_ids].sort()).toEqual([...new Set([...nodes.map((n) => n.id), ...named])].sort());
    expect(event.record_count).toBe(nodes.length);
    for (const id of named) expect(event.details.records!.find((x) => x.id === id)?.referenced).toBe(true);
  });
});

describe('cursors are bound to their list', () => {
  const cursors: Record<string, string> = {};
  beforeAll(async () => {
    for (const [field, { as }] of Object.entries(LISTS)) {
      const r = await asCaller(as, listQuery(field, 'pageInfo { endCursor }'), { first: 1, subjectId, endpointId, userId });
      const end = (r.body.data?.[field] as { pageInfo: { endCursor: string | null } } | undefined)?.pageInfo.endCursor;
      if (end) cursors[field] = end;
    }
  });

  const page = (field: string, after: string) =>
    asCaller(LISTS[field].as, listQuery(field, 'totalCount', true), { first: 1, after, subjectId, endpointId, userId });

  it('a cursor from every list is accepted by its own list', async () => {
    expect(Object.keys(cursors).length).toBeGreaterThanOrEqual(8);
    for (const [field, cursor] of Object.entries(cursors)) {
      const r = await page(field, cursor);
      expect([field, r.body.errors ?? []]).toEqual([field, []]);
    }
  });

  it('a cursor from each list given to every other list is BAD_USER_INPUT', async () => {
    const accepted: string[] = [];
    for (const [from, cursor] of Object.entries(cursors)) {
      for (const to of Object.keys(LISTS)) {
        if (to === from) continue;
        const r = await page(to, cursor);
        if (r.status >= 500 || r.body.errors?.[0]?.extensions?.code !== 'BAD_USER_INPUT') accepted.push(`${from} -> ${to}: ${r.status}`);
      }
    }
    expect(accepted).toEqual([]);
  });

  const tampered = (cursor: string, change: (values: unknown[]) => unknown[]) =>
    Buffer.from(JSON.stringify(change(JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[]))).toString('base64url');

  it('property: any text, or a cursor altered in any way, is BAD_USER_INPUT on every list, never 5xx', async () => {
    const fields = Object.keys(cursors);
    const alteration = fc.oneof(
      anyUtf16(60),
      fc.string({ unit: 'binary-ascii', maxLength: 200 }).map((s) => Buffer.from(s).toString('base64url')),
      fc
        .tuple(fc.constantFrom(...fields), fc.nat(), fc.jsonValue())
        .map(([f, i, v]) => tampered(cursors[f], (values) => values.map((x, j) => (j === i % values.length ? v : x)))),
      fc.tuple(fc.constantFrom(...fields), fc.jsonValue()).map(([f, v]) => tampered(cursors[f], (values) => [...values, v])),
      // The position of another list, with a check copied from it: still not this list's.
      fc.constantFrom(...fields).map((f) => tampered(cursors[f], (values) => values.slice(1))),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(LISTS)), alteration, async (field, after) => {
        if (after === cursors[field]) return;
        const r = await page(field, after);
        expect({ field, status: r.status < 500, code: r.body.errors?.[0]?.extensions?.code }).toEqual({
          field,
          status: true,
          code: 'BAD_USER_INPUT',
        });
      }),
      { numRuns: 150 },
    );
  });
});
