import { randomUUID } from 'node:crypto';
import { type Client, createClient } from 'graphql-ws';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { buildKeyRing } from '../../src/auth/keys';
import { type TokenClaims, TokenService } from '../../src/auth/tokens';
import { RELAY_APPLICATION_NAME } from '../../src/subscriptions/notice-relay';
import { discloseAnyReport } from '../support/disclosures';
import { startTestApp, type TestApp } from '../support/test-app';

// Subscriptions end to end: a real graphql-ws client over a real socket on loopback, against the
// real service whose workers fan notices out; nothing of our own stack is stood in for.

let app: TestApp;
let second: TestApp;
const tokens: Record<string, string> = {};
const token = async (email: string) => (tokens[email] ??= (await app.login(email)).accessToken);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NOTIFICATION_ADDED = `subscription { notificationAdded { id type occurredAt read recordKind recordId subjectId actingAgency { id name } } }`;

interface Pushed {
  id: string;
  type: string;
  recordKind: string;
  recordId: string;
  subjectId: string | null;
  read: boolean;
  actingAgency: { id: string; name: string } | null;
  [field: string]: unknown;
}

interface Subscriber {
  client: Client;
  received: Pushed[];
  errors: unknown[];
  /** The socket's close event: its code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once the server acknowledged connection_init. */
  connected: Promise<void>;
}

const opened: Client[] = [];

/** Opens a socket with `params` at connection_init and subscribes with `query`; never retries. */
function subscribe(target: TestApp, params: Record<string, unknown> | undefined, query = NOTIFICATION_ADDED): Subscriber {
  let onClosed!: (e: { code: number; reason: string }) => void;
  let onConnected!: () => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (onClosed = r));
  const connected = new Promise<void>((r) => (onConnected = r));
  const client = createClient({
    url: target.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: params,
    retryAttempts: 0,
    lazy: true,
    on: {
      connected: () => onConnected(),
      closed: (event) => {
        const e = event as { code: number; reason: string };
        onClosed({ code: e.code, reason: String(e.reason) });
      },
    },
  });
  opened.push(client);
  const received: Pushed[] = [];
  const errors: unknown[] = [];
  client.subscribe<{ notificationAdded: Pushed }>(
    { query },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        if (result.data?.notificationAdded) received.push(result.data.notificationAdded);
      },
      error: (error) => errors.push(error),
      complete: () => undefined,
    },
  );
  return { client, received, errors, closed, connected };
}

/** A subscriber that is connected and whose subscription the server has had time to register. */
async function subscribed(target: TestApp, email: string, query?: string): Promise<Subscriber> {
  const s = subscribe(target, { authorization: `Bearer ${await token(email)}` }, query);
  await s.connected;
  await sleep(300);
  return s;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Waits until every notice raised so far has been fanned out. */
async function settled() {
  await until('fan-out to settle', async () => {
    const [{ n }] = (await app.ownerQuery(`SELECT count(*)::int AS n FROM notification_events WHERE fanned_out_at IS NULL`)) as {
      n: number;
    }[];
    return n === 0 ? true : undefined;
  });
}

const agencyId = async (name: string) =>
  ((await app.ownerQuery(`SELECT id FROM agencies WHERE name = $1`, [name])) as { id: string }[])[0].id;
const userId = async (email: string) =>
  ((await app.ownerQuery(`SELECT id FROM users WHERE email = $1`, [email])) as { id: string }[])[0].id;

/** The supervisor discloses a report to `recipientAgencyId` (any report that may be); returns the disclosure id. */
async function disclose(recipientAgencyId: string, summary: string) {
  return discloseAnyReport(app, await token('supervisor@gmp.example'), recipientAgencyId, summary);
}
const discloseToBrookfield = async () => disclose(await agencyId('Brookfield High School'), `SYNTHETIC-SUMMARY-${randomUUID()}`);

/** A new Brookfield High user, signed in: for tests that end its session or account. */
async function newSchoolUser(): Promise<{ id: string; email: string; accessToken: string }> {
  const email = `lead.${randomUUID().slice(0, 8)}@brookfield-high.example`;
  const created = await app.gql<{ createUser: { id: string } }>(
    'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }',
    { i: { email, displayName: 'Synthetic Lead', password: 'a-long-enough-passphrase', roles: ['SAFEGUARDING_LEAD'] } },
    await token('admin@brookfield-high.example'),
  );
  expect(created.body.errors).toBeUndefined();
  const login = await app.gql<{ login: { accessToken: string } }>(
    'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }',
    { e: email, p: 'a-long-enough-passphrase' },
  );
  expect(login.body.errors).toBeUndefined();
  return { id: created.body.data!.createUser.id, email, accessToken: login.body.data!.login.accessToken };
}

beforeAll(async () => {
  app = await startTestApp({ PUSH_WORKERS: 'true', SUBSCRIPTION_RECHECK_INTERVAL_MS: '200', MAX_QUERY_ALIASES: '5' });
  // A second instance on the same database, with no workers of its own: what it pushes was fanned out on the first.
  second = await startTestApp({ PUSH_WORKERS: 'false' }, app);
}, 60_000);

afterEach(async () => {
  await Promise.all(opened.splice(0).map(async (c) => c.dispose()));
});

afterAll(async () => {
  await second?.close();
  await app?.close();
});

describe('notificationAdded', () => {
  it('pushes a disclosure to the school lead, content-free and audited as a read, and to no other agency', async () => {
    const lead = await subscribed(app, 'lead@brookfield-high.example');
    const others = await Promise.all(
      ['reporter@safe-futures.example', 'practitioner@rochdale-csc.example', 'nurse@northern-health.example'].map((email) =>
        subscribed(app, email),
      ),
    );
    const id = await discloseToBrookfield();
    const pushed = await until('the lead’s notice', () => lead.received.find((n) => n.recordId === id));
    expect(pushed).toMatchObject({
      type: 'DISCLOSURE_RECEIVED',
      recordKind: 'disclosure',
      read: false,
      actingAgency: { name: 'Greater Manchester Police' },
    });
    // Only the notice's own fields: no summary, purpose or conditions.
    expect(Object.keys(pushed).sort()).toEqual(['actingAgency', 'id', 'occurredAt', 'read', 'recordId', 'recordKind', 'subjectId', 'type']);
    expect(lead.errors).toEqual([]);
    await settled();
    await sleep(500);
    for (const other of others) expect(other.received.some((n) => n.recordId === id)).toBe(false);

    // No audit, no data: the push left a READ event naming the notice and the fields it carried.
    const events = (await app.ownerQuery(
      `SELECT actor_id, action, outcome, details FROM audit_events WHERE operation_field = 'notificationAdded' AND $1 = ANY(record_ids)`,
      [pushed.id],
    )) as { actor_id: string; action: string; outcome: string; details: { records: { kind: string; id: string; fields?: string[] }[] } }[];
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_id: await userId('lead@brookfield-high.example'), action: 'READ', outcome: 'ALLOWED' });
    expect(events[0].details.records).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'notification', id: pushed.id, fields: expect.arrayContaining(['id', 'recordId', 'type']) }),
        expect.objectContaining({ kind: 'record', id, referenced: true }),
      ]),
    );
  });

  it('does not push a notice the principal can no longer read in its inbox', async () => {
    const lead = await subscribed(app, 'lead@brookfield-high.example');
    const leadId = await userId('lead@brookfield-high.example');
    // The inbox row vanishes between the fan-out and the push: the re-read as the lead finds nothing.
    await app.ownerQuery(`CREATE OR REPLACE FUNCTION test_drop_lead_inbox() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      BEGIN DELETE FROM notifications WHERE recipient_id = '${leadId}'::uuid AND event_id = NEW.id; RETURN NEW; END $$`);
    await app.ownerQuery(`CREATE TRIGGER test_drop_lead_inbox AFTER UPDATE OF fanned_out_at ON notification_events
      FOR EACH ROW EXECUTE FUNCTION test_drop_lead_inbox()`);
    try {
      const id = await discloseToBrookfield();
      await settled();
      await sleep(800);
      expect(lead.received.some((n) => n.recordId === id)).toBe(false);
    } finally {
      await app.ownerQuery(`DROP TRIGGER test_drop_lead_inbox ON notification_events`);
      await app.ownerQuery(`DROP FUNCTION test_drop_lead_inbox()`);
    }
    // The socket lives on, and pushes the next notice.
    const next = await discloseToBrookfield();
    await until('the next notice', () => lead.received.find((n) => n.recordId === next));
  });

  it('keeps pushing after the relay’s connection is lost: it reconnects', async () => {
    const lead = await subscribed(app, 'lead@brookfield-high.example');
    const killed = (await app.ownerQuery(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
      [RELAY_APPLICATION_NAME],
    )) as { ok: boolean }[];
    expect(killed.length).toBeGreaterThanOrEqual(1);
    await until('the relay to listen again', async () => {
      const rows = await app.ownerQuery(
        `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() AND query ILIKE 'LISTEN%'`,
        [RELAY_APPLICATION_NAME],
      );
      return rows.length >= killed.length ? true : undefined;
    });
    const id = await discloseToBrookfield();
    await until('the notice after reconnecting', () => lead.received.find((n) => n.recordId === id));
  });

  it('reaches a subscriber on another instance of the service', async () => {
    const lead = await subscribed(second, 'lead@brookfield-high.example');
    const id = await discloseToBrookfield();
    const pushed = await until('the notice on the second instance', () => lead.received.find((n) => n.recordId === id));
    expect(pushed.type).toBe('DISCLOSURE_RECEIVED');
  });
});

describe('authentication', () => {
  it('refuses a socket with no token, a bad token or a refresh token with 4401', async () => {
    const { refreshToken } = await app.login('lead@brookfield-high.example');
    const refusals = async () =>
      (
        (await app.ownerQuery(
          `SELECT count(*)::int AS n FROM audit_events WHERE action = 'REQUEST' AND outcome = 'DENIED' AND reason = 'UNAUTHENTICATED'
            AND details->>'transport' = 'websocket' AND (details->>'closeCode')::int = 4401`,
        )) as { n: number }[]
      )[0].n;
    const before = await refusals();
    const attempts = [undefined, {}, { authorization: 'Bearer not-a-token' }, { token: 'x.y.z' }, { token: refreshToken }];
    for (const params of attempts) {
      const s = subscribe(app, params);
      expect(await s.closed).toMatchObject({ code: 4401 });
      expect(s.received).toEqual([]);
    }
    // Each refused socket is audited, as a refused HTTP request is.
    await until('the refusals’ events', async () => ((await refusals()) - before === attempts.length ? true : undefined), 5_000);
  });

  it('accepts the token as { token } as well as { authorization }', async () => {
    const s = subscribe(app, { token: await token('lead@brookfield-high.example') });
    await s.connected;
  });

  it('closes the socket when its token expires', async () => {
    const claims = jwt.decode(await token('lead@brookfield-high.example')) as TokenClaims;
    const shortLived = new TokenService(buildKeyRing(app.config.jwt), { ...app.config.jwt, accessTtlSeconds: 2 });
    const { token: brief } = shortLived.issue('access', {
      sub: claims.sub,
      sid: claims.sid,
      pk: claims.pk,
      agency: claims.agency,
      roles: claims.roles,
    });
    const started = Date.now();
    const s = subscribe(app, { authorization: `Bearer ${brief}` });
    await s.connected;
    expect(await s.closed).toMatchObject({ code: 4401, reason: 'Token expired' });
    expect(Date.now() - started).toBeGreaterThan(1_000);
  });

  it('closes the socket on logout', async () => {
    const user = await newSchoolUser();
    const s = subscribe(app, { authorization: `Bearer ${user.accessToken}` });
    await s.connected;
    const out = await app.gql('mutation { logout }', {}, user.accessToken);
    expect(out.body.errors).toBeUndefined();
    expect(await s.closed).toMatchObject({ code: 4401 });
  });

  it('closes the socket when an admin disables the user', async () => {
    const user = await newSchoolUser();
    const s = subscribe(app, { authorization: `Bearer ${user.accessToken}` });
    await s.connected;
    await sleep(500);
    const disabled = await app.gql(
      'mutation($id: ID!) { disableUser(id: $id) { id } }',
      { id: user.id },
      await token('admin@brookfield-high.example'),
    );
    expect(disabled.body.errors).toBeUndefined();
    expect(await s.closed).toMatchObject({ code: 4401 });
  });
});

describe('limits', () => {
  it('allows SUBSCRIPTION_MAX_CONNECTIONS_PER_PRINCIPAL sockets per principal and closes the next with 4429', async () => {
    const t = await token('nurse@northern-health.example');
    const five = Array.from({ length: 5 }, () => subscribe(app, { authorization: `Bearer ${t}` }));
    await Promise.all(five.map((s) => s.connected));
    const sixth = subscribe(app, { authorization: `Bearer ${t}` });
    expect(await sixth.closed).toMatchObject({ code: 4429 });
    // Another principal is not counted against this one.
    await subscribe(app, { authorization: `Bearer ${await token('reporter@safe-futures.example')}` }).connected;
    // Closing one frees its place.
    await five[0].client.dispose();
    await sleep(200);
    await subscribe(app, { authorization: `Bearer ${t}` }).connected;
  });

  it('allows SUBSCRIPTION_MAX_PER_CONNECTION subscriptions per socket and refuses the next with RATE_LIMITED', async () => {
    const s = await subscribed(app, 'practitioner@rochdale-csc.example');
    const results: { errors?: readonly { extensions?: Record<string, unknown> }[] }[] = [];
    // One is open already (`subscribed`): nine more make ten.
    for (let i = 0; i < 9; i++)
      s.client.subscribe(
        { query: NOTIFICATION_ADDED },
        { next: (r) => results.push(r), error: () => undefined, complete: () => undefined },
      );
    await sleep(500);
    expect(results).toEqual([]);
    const refused = await new Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>((resolve) =>
      s.client.subscribe({ query: NOTIFICATION_ADDED }, { next: resolve, error: () => undefined, complete: () => undefined }),
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    const events = (await app.ownerQuery(
      `SELECT outcome FROM audit_events WHERE actor_id = $1 AND action = 'REQUEST' AND reason = 'RATE_LIMITED' AND details->>'transport' = 'websocket'`,
      [await userId('practitioner@rochdale-csc.example')],
    )) as { outcome: string }[];
    expect(events.map((e) => e.outcome)).toEqual(['DENIED']);
  });

  it('applies the query limits to subscription documents', async () => {
    const aliases = Array.from({ length: 6 }, (_, i) => `a${i}: id`).join(' ');
    const s = await subscribed(app, 'practitioner@rochdale-csc.example', `subscription { notificationAdded { ${aliases} } }`);
    await until('the refusal', () => (s.errors.length ? s.errors : undefined));
    expect((s.errors[0] as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('serves only subscriptions over the socket: a query is refused, unexecuted', async () => {
    const s = await subscribed(app, 'practitioner@rochdale-csc.example', '{ notifications(first: 1) { totalCount } }');
    await until('the refusal', () => (s.errors.length ? s.errors : undefined));
    expect((s.errors[0] as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('closes a socket that sends a message larger than SUBSCRIPTION_MAX_PAYLOAD_BYTES', async () => {
    const huge = `subscription { notificationAdded { id } } # ${'x'.repeat(app.config.subscriptions.maxPayloadBytes)}`;
    const s = await subscribed(app, 'practitioner@rochdale-csc.example', huge);
    expect((await s.closed).code).toBe(1009);
  });
});
