import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { post } from '../../src/webhooks/delivery';
import { discloseAnyReport } from '../support/disclosures';
import { codes, startTestApp, type TestApp } from '../support/test-app';

// Signed webhooks end to end: a real receiver on the loopback, real workers, real retries.

/** What the receiver was sent on one path. */
interface Received {
  headers: Record<string, string>;
  body: string;
}
/** How a path answers its nth request (0-based): a status, or 'hang' (answer 200 only after the service gave up). */
type Behaviour = (n: number) => number | 'hang';

const received = new Map<string, Received[]>();
const behaviours = new Map<string, Behaviour>();
let receiver: http.Server;
let receiverUrl: string;

let app: TestApp;
const tokens: Record<string, string> = {};
const token = async (email: string) => (tokens[email] ??= (await app.login(email)).accessToken);
const SCHOOL_ADMIN = 'admin@brookfield-high.example';
const OVERSIGHT_ADMIN = 'admin@oversight.example';

const TIMEOUT_MS = 300;
const MAX_ATTEMPTS = 3;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const list = received.get(path) ?? [];
      list.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
      received.set(path, list);
      const answer = (behaviours.get(path) ?? (() => 200))(list.length - 1);
      if (answer === 'hang') setTimeout(() => res.writeHead(200).end('late'), TIMEOUT_MS * 3);
      else res.writeHead(answer, { 'content-type': 'text/plain' }).end(`SYNTHETIC-RECEIVER-BODY ${answer}`);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  app = await startTestApp({
    PUSH_WORKERS: 'true',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_RETRY_BASE_MS: '50',
    WEBHOOK_RETRY_MAX_MS: '200',
    WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
  });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** Polls `probe` until it returns something (bounded). */
async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
}
const ENDPOINT = 'id url events enabled description createdAt';

async function register(path: string, events = ['DISCLOSURE_RECEIVED'], as = SCHOOL_ADMIN, behaviour?: Behaviour) {
  if (behaviour) behaviours.set(path, behaviour);
  const r = await app.gql<{ registerWebhook: { endpoint: Endpoint; secret: string } }>(
    `mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { secret endpoint { ${ENDPOINT} } } }`,
    { i: { url: `${receiverUrl}${path}`, events, description: `Synthetic receiver ${path}` } },
    await token(as),
  );
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.registerWebhook;
}

async function disable(id: string, as = SCHOOL_ADMIN) {
  return app.gql<{ disableWebhook: Endpoint }>(`mutation($id: ID!) { disableWebhook(id: $id) { ${ENDPOINT} } }`, { id }, await token(as));
}

interface Delivery {
  id: string;
  endpointId: string;
  notificationId: string;
  type: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  latencyMs: number | null;
  deliveredAt: string | null;
}
async function deliveries(endpointId: string, as = SCHOOL_ADMIN) {
  return app.gql<{ webhookDeliveries: { totalCount: number; edges: { node: Delivery }[] } }>(
    `query($e: ID!) { webhookDeliveries(endpointId: $e, first: 50) { totalCount edges { node {
       id endpointId notificationId type status attempts lastStatusCode lastError latencyMs deliveredAt } } } }`,
    { e: endpointId },
    await token(as),
  );
}
async function deliveryOf(endpointId: string, notificationId: string): Promise<Delivery | undefined> {
  const r = await deliveries(endpointId);
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.webhookDeliveries.edges.map((e) => e.node).find((d) => d.notificationId === notificationId);
}
/** Waits for the delivery of `notificationId` to `endpointId` to reach `status`. */
const awaitStatus = (endpointId: string, notificationId: string, status: string, timeoutMs?: number) =>
  until(
    `${status} delivery`,
    async () => {
      const d = await deliveryOf(endpointId, notificationId);
      return d?.status === status ? d : null;
    },
    timeoutMs,
  );

const agencyId = async (name: string) =>
  ((await app.ownerQuery(`SELECT id FROM agencies WHERE name = $1`, [name])) as { id: string }[])[0].id;

/** Discloses a report to Brookfield High with `summary`; returns the notice it raises. */
async function discloseToSchool(summary = `SYNTHETIC-SUMMARY-${randomUUID()}`): Promise<{ noticeId: string; summary: string }> {
  const id = await discloseAnyReport(app, await token('supervisor@gmp.example'), await agencyId('Brookfield High School'), summary);
  const [notice] = (await app.ownerQuery(`SELECT id FROM notification_events WHERE record_id = $1 AND type = 'DISCLOSURE_RECEIVED'`, [
    id,
  ])) as { id: string }[];
  return { noticeId: notice.id, summary };
}

/** Verifies a delivery's signature with plain crypto, as docs/notifications.md shows a receiver doing. */
function verifiedByHand(secret: string, { headers, body }: Received): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`).digest();
  return headers['webhook-signature'].split(' ').some((sig) => {
    const [version, value] = sig.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const deliverAudits = (deliveryId: string) =>
  app.ownerQuery(
    `SELECT outcome, reason, actor_id, details->>'attempt' AS attempt, details->>'statusCode' AS status_code, record_ids
       FROM audit_events WHERE action = 'DELIVER' AND details->>'deliveryId' = $1 ORDER BY (details->>'attempt')::int`,
    [deliveryId],
  ) as Promise<
    { outcome: string; reason: string | null; actor_id: string | null; attempt: string; status_code: string | null; record_ids: string[] }[]
  >;

describe('registering', () => {
  it('returns a whsec_ secret once, audits the change, and never shows the secret again', async () => {
    const { endpoint, secret } = await register('/registered');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(endpoint).toMatchObject({ url: `${receiverUrl}/registered`, events: ['DISCLOSURE_RECEIVED'], enabled: true });
    const listed = await app.gql<{ webhookEndpoints: Endpoint[] }>(`{ webhookEndpoints { ${ENDPOINT} } }`, {}, await token(SCHOOL_ADMIN));
    expect(listed.body.data!.webhookEndpoints.map((e) => e.id)).toContain(endpoint.id);
    const asked = await app.gql(`{ webhookEndpoints { id secret } }`, {}, await token(SCHOOL_ADMIN));
    expect(codes(asked)).toEqual(['BAD_USER_INPUT']);
    const [change] = (await app.ownerQuery(
      `SELECT operation_field, details FROM audit_events WHERE action = 'CHANGE' AND $1 = ANY(record_ids)`,
      [endpoint.id],
    )) as { operation_field: string; details: object }[];
    expect(change.operation_field).toBe('registered');
    const history = (await app.ownerQuery(`SELECT after::text FROM record_history WHERE record_id = $1`, [endpoint.id])) as {
      after: string;
    }[];
    expect(history).toHaveLength(1);
    expect(history[0].after).not.toContain(secret.slice(6));
    expect(JSON.stringify(change)).not.toContain(secret.slice(6));
    await disable(endpoint.id);
  });

  it.each([
    ['a private address', 'http://10.0.0.1/hook', 'DESTINATION_REFUSED'],
    ['the metadata address', 'http://169.254.169.254/latest/meta-data', 'DESTINATION_REFUSED'],
    ['an IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]/hook', 'DESTINATION_REFUSED'],
    ['a loopback name not on the allow-list', 'http://localhost/hook', 'DESTINATION_REFUSED'],
    ['credentials in the URL', 'http://user:secret@127.0.0.1/hook', 'DESTINATION_REFUSED'],
    ['another scheme', 'ftp://127.0.0.1/hook', 'DESTINATION_REFUSED'],
    ['a host that does not resolve', 'http://receiver.invalid/hook', 'UNREACHABLE'],
  ])('refuses %s as BAD_USER_INPUT with its reason, and writes nothing', async (_case, url, reason) => {
    const before = (await app.ownerQuery(`SELECT count(*)::int AS n FROM webhook_endpoints`)) as { n: number }[];
    const r = await app.gql(
      `mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { secret } }`,
      { i: { url, events: ['DISCLOSURE_RECEIVED'] } },
      await token(SCHOOL_ADMIN),
    );
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].extensions).toMatchObject({ field: 'input.url', reason });
    expect(await app.ownerQuery(`SELECT count(*)::int AS n FROM webhook_endpoints`)).toEqual(before);
  });

  it('refuses an empty or unknown events list', async () => {
    const admin = await token(SCHOOL_ADMIN);
    const mutation = `mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { secret } }`;
    expect(codes(await app.gql(mutation, { i: { url: `${receiverUrl}/x`, events: [] } }, admin))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(mutation, { i: { url: `${receiverUrl}/x`, events: ['CAKE_BAKED'] } }, admin))).toEqual(['BAD_USER_INPUT']);
  });

  it('is an ADMIN’s, for its own agency: others are FORBIDDEN or find nothing', async () => {
    const { endpoint } = await register('/owned');
    const lead = await token('lead@brookfield-high.example');
    expect(codes(await app.gql('{ webhookEndpoints { id } }', {}, lead))).toEqual(['FORBIDDEN']);
    expect(codes(await disable(endpoint.id, 'lead@brookfield-high.example'))).toEqual(['FORBIDDEN']);

    const other = await token(OVERSIGHT_ADMIN);
    const theirs = await app.gql<{ webhookEndpoints: Endpoint[] }>('{ webhookEndpoints { id } }', {}, other);
    expect(theirs.body.data!.webhookEndpoints.map((e) => e.id)).not.toContain(endpoint.id);
    expect(codes(await disable(endpoint.id, OVERSIGHT_ADMIN))).toEqual(['NOT_FOUND']);
    expect(codes(await app.gql('mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', { id: endpoint.id }, other))).toEqual([
      'NOT_FOUND',
    ]);
    expect(codes(await deliveries(endpoint.id, OVERSIGHT_ADMIN))).toEqual(['NOT_FOUND']);
    const [row] = (await app.ownerQuery(`SELECT enabled FROM webhook_endpoints WHERE id = $1`, [endpoint.id])) as { enabled: boolean }[];
    expect(row.enabled).toBe(true);
    await disable(endpoint.id);
  });
});

describe('delivering', () => {
  it('sends a disclosure’s notice, signed, content-free, to the recipient agency only', async () => {
    const { endpoint, secret } = await register('/school');
    const elsewhere = await register('/oversight', ['DISCLOSURE_RECEIVED'], OVERSIGHT_ADMIN);
    const { noticeId, summary } = await discloseToSchool();
    const delivery = await awaitStatus(endpoint.id, noticeId, 'DELIVERED');
    expect(delivery).toMatchObject({ type: 'DISCLOSURE_RECEIVED', attempts: 1, lastStatusCode: 200, lastError: null });
    expect(delivery.latencyMs).toEqual(expect.any(Number));

    const [sent] = received.get('/school')!.filter((r) => JSON.parse(r.body).id === noticeId);
    expect(sent.headers['webhook-id']).toBe(delivery.id);
    expect(sent.headers['content-type']).toBe('application/json');
    // Both ways a receiver may check it: the standardwebhooks package, and a few lines of crypto.
    expect(new Webhook(secret).verify(sent.body, sent.headers)).toMatchObject({ id: noticeId });
    expect(verifiedByHand(secret, sent)).toBe(true);
    expect(verifiedByHand(secret, { ...sent, body: sent.body.replace('DISCLOSURE', 'DISCLOSURF') })).toBe(false);

    const body = JSON.parse(sent.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['data', 'id', 'occurredAt', 'type']);
    expect(Object.keys(body.data as object).sort()).toEqual(['recordId', 'recordKind', 'subjectId']);
    expect(body).toMatchObject({ type: 'DISCLOSURE_RECEIVED', id: noticeId, data: { recordKind: 'disclosure' } });
    expect(sent.body).not.toContain(summary);

    // The attempt is audited by the service acting for nobody; the oversight agency was sent nothing.
    const audits = await deliverAudits(delivery.id);
    expect(audits).toMatchObject([{ outcome: 'ALLOWED', actor_id: null, attempt: '1', status_code: '200' }]);
    expect(audits[0].record_ids).toContain(noticeId);
    const [fanOut] = (await app.ownerQuery(`SELECT details FROM audit_events WHERE action = 'NOTIFY' AND $1 = ANY(record_ids)`, [
      noticeId,
    ])) as {
      details: { webhookDeliveryIds: string[] };
    }[];
    expect(fanOut.details.webhookDeliveryIds).toContain(delivery.id);
    expect((received.get('/oversight') ?? []).length).toBe(0);
    const theirs = await deliveries(elsewhere.endpoint.id, OVERSIGHT_ADMIN);
    expect(theirs.body.data!.webhookDeliveries.totalCount).toBe(0);
    await disable(endpoint.id);
    await disable(elsewhere.endpoint.id, OVERSIGHT_ADMIN);
  });

  it('retries after 500s, with the same id and a valid signature each time, and audits every attempt', async () => {
    const { endpoint, secret } = await register('/flaky', undefined, undefined, (n) => (n < 2 ? 500 : 204));
    const { noticeId } = await discloseToSchool();
    const delivery = await awaitStatus(endpoint.id, noticeId, 'DELIVERED');
    expect(delivery).toMatchObject({ attempts: 3, lastStatusCode: 204 });
    const sent = received.get('/flaky')!;
    expect(sent.map((s) => s.headers['webhook-id'])).toEqual([delivery.id, delivery.id, delivery.id]);
    for (const s of sent) expect(verifiedByHand(secret, s)).toBe(true);
    expect(await deliverAudits(delivery.id)).toMatchObject([
      { outcome: 'FAILED', attempt: '1', status_code: '500', reason: 'HTTP 500' },
      { outcome: 'FAILED', attempt: '2', status_code: '500' },
      { outcome: 'ALLOWED', attempt: '3', status_code: '204' },
    ]);
    // The receiver's answers are never stored.
    const [row] = (await app.ownerQuery(`SELECT row_to_json(d)::text AS j FROM webhook_deliveries d WHERE id = $1`, [delivery.id])) as {
      j: string;
    }[];
    expect(row.j).not.toContain('SYNTHETIC-RECEIVER-BODY');
    await disable(endpoint.id);
  });

  it('retries after a timeout', async () => {
    const { endpoint } = await register('/slow', undefined, undefined, (n) => (n === 0 ? 'hang' : 200));
    const { noticeId } = await discloseToSchool();
    const delivery = await awaitStatus(endpoint.id, noticeId, 'DELIVERED');
    expect(delivery.attempts).toBe(2);
    const audits = await deliverAudits(delivery.id);
    expect(audits[0]).toMatchObject({ outcome: 'FAILED', status_code: null, reason: `timed out after ${TIMEOUT_MS} ms` });
    expect(audits[1]).toMatchObject({ outcome: 'ALLOWED' });
    await disable(endpoint.id);
  });

  it('is dead after the last attempt, and redelivery queues a new round', async () => {
    let healthy = false;
    const { endpoint } = await register('/down', undefined, undefined, () => (healthy ? 200 : 503));
    const { noticeId } = await discloseToSchool();
    const dead = await awaitStatus(endpoint.id, noticeId, 'DEAD');
    expect(dead).toMatchObject({ attempts: MAX_ATTEMPTS, lastStatusCode: 503, lastError: 'HTTP 503', deliveredAt: null });
    // Nothing more is tried once dead.
    await new Promise((r) => setTimeout(r, 500));
    expect(received.get('/down')).toHaveLength(MAX_ATTEMPTS);

    healthy = true;
    const redeliver = `mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { id status attempts } }`;
    const other = await app.gql(redeliver, { d: dead.id }, await token(OVERSIGHT_ADMIN));
    expect(codes(other)).toEqual(['NOT_FOUND']);
    const r = await app.gql<{ redeliverWebhook: { status: string } }>(redeliver, { d: dead.id }, await token(SCHOOL_ADMIN));
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.redeliverWebhook.status).toBe('PENDING');
    const delivered = await awaitStatus(endpoint.id, noticeId, 'DELIVERED');
    expect(delivered.attempts).toBe(MAX_ATTEMPTS + 1);
    expect(await deliverAudits(dead.id)).toHaveLength(MAX_ATTEMPTS + 1);
    // A delivered one is not redelivered; the redelivery itself is an audited change.
    const again = await app.gql(redeliver, { d: dead.id }, await token(SCHOOL_ADMIN));
    expect(again.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'NOT_REDELIVERABLE' });
    const changes = (await app.ownerQuery(`SELECT operation_field FROM audit_events WHERE action = 'CHANGE' AND $1 = ANY(record_ids)`, [
      dead.id,
    ])) as { operation_field: string }[];
    expect(changes).toEqual([{ operation_field: 'redelivered' }]);
    await disable(endpoint.id);
  });

  it('sends nothing to a disabled endpoint, and cancels what it had queued', async () => {
    const { endpoint } = await register('/disabled-later', undefined, undefined, () => 500);
    const { noticeId } = await discloseToSchool();
    await until('a first failed attempt', async () => ((await deliveryOf(endpoint.id, noticeId))?.attempts ?? 0) >= 1);
    const r = await disable(endpoint.id);
    expect(r.body.data!.disableWebhook).toMatchObject({ enabled: false });
    const cancelled = await awaitStatus(endpoint.id, noticeId, 'CANCELLED');
    await new Promise((resolve) => setTimeout(resolve, 600));
    const sentSoFar = received.get('/disabled-later')!.length;
    expect(cancelled.attempts).toBeLessThan(MAX_ATTEMPTS);
    // A notice after disabling is not even queued for it.
    const later = await discloseToSchool();
    await until('the later notice fanned out', async () => {
      const [row] = (await app.ownerQuery(`SELECT fanned_out_at FROM notification_events WHERE id = $1`, [later.noticeId])) as {
        fanned_out_at: Date | null;
      }[];
      return row.fanned_out_at !== null;
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await deliveryOf(endpoint.id, later.noticeId)).toBeUndefined();
    expect(received.get('/disabled-later')!.length).toBe(sentSoFar);
    expect((await deliveryOf(endpoint.id, noticeId))!.status).toBe('CANCELLED');
  });

  it('signs with the new secret once rotated, never the old', async () => {
    const { endpoint, secret: old } = await register('/rotated');
    const r = await app.gql<{ rotateWebhookSecret: { secret: string; endpoint: Endpoint } }>(
      `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }`,
      { id: endpoint.id },
      await token(SCHOOL_ADMIN),
    );
    expect(r.body.errors).toBeUndefined();
    const fresh = r.body.data!.rotateWebhookSecret.secret;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(old);
    const { noticeId } = await discloseToSchool();
    await awaitStatus(endpoint.id, noticeId, 'DELIVERED');
    const sent = received.get('/rotated')!.find((s) => JSON.parse(s.body).id === noticeId)!;
    expect(new Webhook(fresh).verify(sent.body, sent.headers)).toBeTruthy();
    expect(() => new Webhook(old).verify(sent.body, sent.headers)).toThrow();
    expect(verifiedByHand(old, sent)).toBe(false);
    const changes = (await app.ownerQuery(
      `SELECT operation_field FROM audit_events WHERE action = 'CHANGE' AND $1 = ANY(record_ids) ORDER BY occurred_at`,
      [endpoint.id],
    )) as { operation_field: string }[];
    expect(changes.map((c) => c.operation_field)).toEqual(['registered', 'secret_rotated']);
    await disable(endpoint.id);
  });

  it('checks the destination again before each attempt, and sends nothing to one now refused', async () => {
    const { endpoint } = await register('/rebound');
    // As if its host now resolved to an internal address (DNS rebinding).
    await app.ownerQuery(`UPDATE webhook_endpoints SET url = 'http://10.0.0.1/rebound' WHERE id = $1`, [endpoint.id]);
    const { noticeId } = await discloseToSchool();
    const dead = await awaitStatus(endpoint.id, noticeId, 'DEAD');
    expect(dead).toMatchObject({ attempts: MAX_ATTEMPTS, lastStatusCode: null });
    expect(dead.lastError).toMatch(/^DESTINATION_REFUSED: url resolves to a private address/);
    expect(received.get('/rebound')).toBeUndefined();
    await disable(endpoint.id);
  });

  it('connects to the address checked, whatever the URL’s host would resolve to now', async () => {
    const url = new URL(`${receiverUrl.replace('127.0.0.1', 'receiver.invalid')}/pinned`);
    const answer = await post({ url, hostname: 'receiver.invalid', address: '127.0.0.1', family: 4 }, {}, '{}', 2000);
    expect(answer).toMatchObject({ statusCode: 200, error: null });
    const [sent] = received.get('/pinned')!;
    expect(sent.headers.host).toBe(url.host);
  });
});
