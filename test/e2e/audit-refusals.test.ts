import { randomUUID } from 'node:crypto';
import { DEMO_PASSWORD } from '../../src/demo/demo-seed';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * Every attempt is answerable: an operation refused before any field ran (unparsable, invalid, too
 * complex, unstorable text, rate-limited) leaves an event with the refusal's code; rate-limited
 * attempts are recorded bounded, one event per key at the 1st, 2nd, 4th, 8th ... refusal of a window.
 */

interface Event {
  action: string;
  outcome: string;
  reason: string | null;
  operation_field: string | null;
  actor_id: string | null;
  client_address: string | null;
  details: { rootFields?: string[]; refusedBeforeExecution?: boolean; rateLimit?: { bucket: string; refusals: number; limit: number } };
}

async function post(app: TestApp, body: unknown, token?: string, path = '/graphql') {
  const requestId = `refusal-${randomUUID()}`;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': requestId };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${app.baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
  return { status: res.status, code: json.errors?.[0]?.extensions?.code, requestId };
}

const eventsOf = (app: TestApp, requestId: string) =>
  app.db.query<Event[]>(
    `SELECT action, outcome, reason, operation_field, actor_id, client_address, details FROM audit_events WHERE request_id = $1`,
    [requestId],
  );

describe('operations refused before execution leave an event', () => {
  let app: TestApp;
  let token: string;
  let actorId: string;
  beforeAll(async () => {
    app = await startTestApp({ MAX_QUERY_DEPTH: '4', MAX_QUERY_BYTES: '2000' });
    token = (await app.login('analyst@gmp.example')).accessToken;
    [{ id: actorId }] = await app.db.query<{ id: string }[]>(`SELECT id FROM users WHERE email = 'analyst@gmp.example'`);
  });
  afterAll(() => app.close());

  const cases: [string, unknown, string, string, string[]][] = [
    ['unparsable', { query: '{ subjects(first: 1) { totalCount ' }, 'GRAPHQL_PARSE_FAILED', 'FAILED', []],
    ['invalid', { query: '{ subjects(first: 1) { noSuchField } }' }, 'GRAPHQL_VALIDATION_FAILED', 'FAILED', []],
    [
      'too deep',
      { query: '{ intelligenceReports(first: 1) { edges { node { subjects { subject { flags { id } } } } } } }' },
      'QUERY_TOO_COMPLEX',
      'FAILED',
      ['intelligenceReports'],
    ],
    [
      'NUL in a variable',
      { query: 'query($t: String!) { searchIntelligence(text: $t) { totalCount } }', variables: { t: 'a\u0000b' } },
      'BAD_USER_INPUT',
      'FAILED',
      ['searchIntelligence'],
    ],
    [
      'a lone surrogate in a variable, two root fields',
      { query: 'query($t: String!) { a: searchIntelligence(text: $t) { totalCount } me { id } }', variables: { t: '\ud800' } },
      'BAD_USER_INPUT',
      'FAILED',
      ['searchIntelligence', 'me'],
    ],
    ['no such operation', { query: 'query A { me { id } }', operationName: 'B' }, 'OPERATION_RESOLUTION_FAILURE', 'FAILED', []],
  ];

  it.each(cases)('%s: one event, the code as reason, the root fields it asked for', async (_name, body, code, outcome, rootFields) => {
    const r = await post(app, body, token);
    expect(r.status).toBeLessThan(500);
    // Apollo's own codes reach the client as BAD_USER_INPUT; the trail keeps the precise one.
    expect(r.code).toBe(code === 'QUERY_TOO_COMPLEX' ? code : 'BAD_USER_INPUT');
    const events = await eventsOf(app, r.requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome, reason: code, actor_id: actorId });
    expect(events[0].details).toMatchObject({ refusedBeforeExecution: true, rootFields });
    expect(events[0].operation_field).toBe(rootFields.length === 1 ? rootFields[0] : null);
  });

  it.each([
    ['malformed JSON', '{"query": "{ me { id } }"', 'entity.parse.failed'],
    ['a body over the limit', JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(2_000_000) } }), 'entity.too.large'],
  ])('%s, refused before GraphQL reads it, leaves a REQUEST event', async (_name, body, problem) => {
    const requestId = `refusal-${randomUUID()}`;
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId, authorization: `Bearer ${token}` },
      body,
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await eventsOf(app, requestId)).toEqual([
      expect.objectContaining({
        action: 'REQUEST',
        outcome: 'FAILED',
        reason: 'BAD_USER_INPUT',
        actor_id: actorId,
        details: expect.objectContaining({ problem }),
      }),
    ]);
  });

  it('a query too long to parse is refused at HTTP and still leaves an event', async () => {
    const r = await post(app, { query: `{ me { id } } # ${'x'.repeat(3000)}` }, token);
    expect(r).toMatchObject({ status: 400, code: 'QUERY_TOO_COMPLEX' });
    const events = await eventsOf(app, r.requestId);
    expect(events).toEqual([
      expect.objectContaining({ action: 'REQUEST', outcome: 'FAILED', reason: 'QUERY_TOO_COMPLEX', actor_id: actorId }),
    ]);
  });
});

describe('rate-limited attempts are audited, bounded', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      RATE_LIMIT_PER_ADDRESS: '100',
      RATE_LIMIT_PER_PRINCIPAL: '5',
      RATE_LIMIT_SIGN_IN: '3',
      RATE_LIMIT_WINDOW_SECONDS: '600',
    });
  });
  afterAll(() => app.close());

  const refusalsOf = (bucket: string) =>
    app.db.query<Event[]>(
      `SELECT action, outcome, reason, operation_field, actor_id, client_address, details FROM audit_events
        WHERE reason = 'RATE_LIMITED' AND details->'rateLimit'->>'bucket' = $1 ORDER BY id`,
      [bucket],
    );

  /** The checkpoints of n refusals: 1, 2, 4, ... up to n. */
  const checkpoints = (n: number) => Array.from({ length: Math.floor(Math.log2(n)) + 1 }, (_, i) => 2 ** i);

  it('sign-in: 3 allowed, 20 refused, one event at refusals 1, 2, 4, 8, 16, each DENIED LOGIN with its count', async () => {
    const login = { query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }' };
    const statuses: number[] = [];
    for (let i = 0; i < 23; i++) {
      statuses.push((await post(app, { ...login, variables: { e: `nobody${i}@example.invalid`, p: 'wrong-password-1' } })).status);
    }
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    const events = await refusalsOf('sign-in');
    expect(events.map((e) => e.details.rateLimit!.refusals)).toEqual(checkpoints(20));
    for (const e of events) {
      expect(e).toMatchObject({ action: 'LOGIN', outcome: 'DENIED', operation_field: 'login', client_address: expect.any(String) });
      expect(e.details.rateLimit).toMatchObject({ limit: 3, windowSeconds: 600 });
    }
  });

  it('per principal: 5 allowed, 30 refused, events at 1, 2, 4, 8, 16 naming the principal', async () => {
    // The token is made directly: signing in would spend the exhausted sign-in allowance.
    const [user] = await app.db.query<{ id: string; agency_id: string; roles: string[] }[]>(
      `SELECT id, agency_id, roles::text[] AS roles FROM users WHERE email = 'analyst@gmp.example'`,
    );
    const [{ id: sid }] = await app.db.query<{ id: string }[]>(`INSERT INTO auth_sessions (user_id) VALUES ($1) RETURNING id`, [user.id]);
    const { token } = app.tokens.issue('access', { sub: user.id, sid, pk: 'USER', agency: user.agency_id, roles: user.roles });
    const statuses: number[] = [];
    for (let i = 0; i < 35; i++) statuses.push((await post(app, { query: '{ me { id } }' }, token)).status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
    const events = await refusalsOf('principal');
    expect(events.map((e) => e.details.rateLimit!.refusals)).toEqual(checkpoints(30));
    for (const e of events) expect(e).toMatchObject({ action: 'READ', outcome: 'DENIED', actor_id: user.id, operation_field: 'me' });
  });

  it('per address, refused before GraphQL: one REQUEST event at 1, 2, 4, 8 ... of the window, concurrent hammering included', async () => {
    // 23 + 35 requests so far from this address; the next ones pass the limit of 100.
    const sent = 200;
    const results = await Promise.all(Array.from({ length: sent }, () => post(app, { query: '{ __typename }' })));
    const refused = results.filter((r) => r.status === 429).length;
    expect(refused).toBeGreaterThan(100);
    const events = await refusalsOf('address');
    expect(events.map((e) => e.details.rateLimit!.refusals).sort((a, b) => a - b)).toEqual(checkpoints(refused));
    for (const e of events) expect(e).toMatchObject({ action: 'REQUEST', outcome: 'DENIED', reason: 'RATE_LIMITED' });
  });
});

describe('locked-out sign-ins', () => {
  let app: TestApp;
  beforeAll(async () => {
    // No sign-in rate limit here: the lock-out alone must keep its events bounded.
    app = await startTestApp({ LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_LOCKOUT_BASE_SECONDS: '600' });
  });
  afterAll(() => app.close());

  const login = { query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }' };

  it('the first attempt on a locked account, even with the right password, is a DENIED LOGIN event with its count', async () => {
    for (let i = 0; i < 3; i++) await post(app, { ...login, variables: { e: 'investigator@gmp.example', p: 'wrong-password-1' } });
    const locked = await post(app, { ...login, variables: { e: 'investigator@gmp.example', p: DEMO_PASSWORD } });
    expect(locked.code).toBe('RATE_LIMITED');
    expect(await eventsOf(app, locked.requestId)).toEqual([
      expect.objectContaining({
        action: 'LOGIN',
        outcome: 'DENIED',
        reason: 'RATE_LIMITED',
        operation_field: 'login',
        details: expect.objectContaining({ rateLimit: expect.objectContaining({ bucket: 'account', limit: 3, refusals: 1 }) }),
      }),
    ]);
  });

  it('40 attempts on a locked account, from anywhere, leave events at refusals 1, 2, 4, 8, 16, 32 only', async () => {
    const email = 'supervisor@gmp.example';
    for (let i = 0; i < 3; i++) await post(app, { ...login, variables: { e: email, p: 'wrong-password-1' } });
    const requests = await Promise.all(
      Array.from({ length: 40 }, (_, i) => post(app, { ...login, variables: { e: email, p: i % 2 ? DEMO_PASSWORD : 'wrong-password-2' } })),
    );
    expect(requests.every((r) => r.code === 'RATE_LIMITED')).toBe(true);
    const ids = requests.map((r) => r.requestId);
    const events = await app.db.query<Event[]>(
      `SELECT action, outcome, reason, operation_field, actor_id, client_address, details FROM audit_events WHERE request_id = ANY($1)`,
      [ids],
    );
    expect(events.map((e) => e.details.rateLimit!.refusals).sort((a, b) => a - b)).toEqual([1, 2, 4, 8, 16, 32]);
    for (const e of events) expect(e).toMatchObject({ action: 'LOGIN', outcome: 'DENIED', reason: 'RATE_LIMITED' });
  });
});
