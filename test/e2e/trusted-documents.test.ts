import { createHash } from 'node:crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { codes, countRows, startTestApp, type TestApp } from '../support/test-app';

/**
 * Trusted documents (docs/guides/agency-developer.md): a partner app given a persisted-query manifest
 * runs only its operations, sent as text or as the sha256 alone; anything else, one character off
 * included, is refused before GraphQL reads it (OPERATION_NOT_TRUSTED) and audited. Other apps and
 * people are untouched; a bad manifest changes nothing.
 */
const ADMIN = 'admin@brookfield-high.example';
const ME = 'query Me { me { id kind } }';
const SUBMIT =
  'mutation Refer($k: String!) { submitIntelligence(input: { idempotencyKey: $k, sourceType: EDUCATION, narrative: "Synthetic: a pupil seen with an older stranger" }) { id } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const manifestOf = (ops: { body: string; name: string; type: string }[]) => ({
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: ops.map((op) => ({ id: sha256(op.body), ...op })),
});
const MANIFEST = manifestOf([
  { name: 'Me', type: 'query', body: ME },
  { name: 'Refer', type: 'mutation', body: SUBMIT },
]);

const SET = 'mutation($id: ID!, $m: JSONObject!) { setPartnerAppTrustedDocuments(id: $id, manifest: $m) { id trustedDocumentCount } }';
const CLEAR = 'mutation($id: ID!) { clearPartnerAppTrustedDocuments(id: $id) { id trustedDocumentCount } }';

let app: TestApp;
let admin: string;
let appId: string;
let appToken: string;
let otherAppToken: string;

interface Raw {
  status: number;
  requestId: string;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function post(body: Record<string, unknown>, token: string): Promise<Raw> {
  const res = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, requestId: res.headers.get('x-request-id')!, body: (await res.json()) as Raw['body'] };
}

async function get(params: Record<string, string>, token: string): Promise<Raw> {
  const res = await fetch(`${app.url}?${new URLSearchParams(params).toString()}`, {
    headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
  });
  return { status: res.status, requestId: res.headers.get('x-request-id')!, body: (await res.json()) as Raw['body'] };
}

const rawCodes = (r: Raw) => (r.body.errors ?? []).map((e) => e.extensions?.code);

async function registerApp(name: string): Promise<{ id: string; token: string }> {
  const r = await app.gql<{ registerPartnerApp: { clientId: string; clientSecret: string; app: { id: string } } }>(
    'mutation($n: String!) { registerPartnerApp(input: { name: $n, scopes: [SUBMIT_INTELLIGENCE, READ_OWN_SUBMISSIONS] }) { clientId clientSecret app { id } } }',
    { n: name },
    admin,
  );
  const { clientId, clientSecret, app: created } = r.body.data!.registerPartnerApp;
  const t = await app.gql<{ serviceToken: { accessToken: string } }>(
    'mutation($c: String!, $s: String!) { serviceToken(clientId: $c, clientSecret: $s) { accessToken } }',
    { c: clientId, s: clientSecret },
  );
  return { id: created.id, token: t.body.data!.serviceToken.accessToken };
}

const storedList = async () =>
  (await app.db.query<{ t: unknown }[]>(`SELECT trusted_documents AS t FROM service_accounts WHERE id = $1`, [appId]))[0].t;

beforeAll(async () => {
  app = await startTestApp();
  admin = (await app.login(ADMIN)).accessToken;
  ({ id: appId, token: appToken } = await registerApp('Trusted form'));
  ({ token: otherAppToken } = await registerApp('Untrusted form'));
});
afterAll(() => app?.close());

describe('an app without trusted documents', () => {
  it('runs any operation its scopes allow, as before', async () => {
    const r = await post({ query: '{ me { id } }' }, appToken);
    expect(r.body.errors).toBeUndefined();
  });
});

describe('a bad manifest', () => {
  const withOp = (op: Record<string, unknown>) => ({ ...MANIFEST, operations: [op] });
  it.each<[string, unknown]>([
    ['another format', { ...MANIFEST, format: 'relay' }],
    ['another version', { ...MANIFEST, version: 2 }],
    ['no operations', { ...MANIFEST, operations: [] }],
    ['an id that is not the sha256 of its body', withOp({ id: sha256(ME), name: 'Me', type: 'query', body: `${ME} ` })],
    ['an id that is no sha256 at all', withOp({ id: 'abc', name: 'Me', type: 'query', body: ME })],
    ['an unknown operation type', withOp({ id: sha256(ME), name: 'Me', type: 'fragment', body: ME })],
    ['an operation without a body', withOp({ id: sha256(ME), name: 'Me', type: 'query' })],
    ['a body longer than a query may be', withOp({ id: sha256('x'.repeat(20_001)), name: 'Big', type: 'query', body: 'x'.repeat(20_001) })],
    ['not an object', 'a string'],
  ])('is refused (%s) and changes nothing', async (_case, manifest) => {
    const history = await countRows(app.db, 'record_history');
    const r = await app.gql(SET, { id: appId, m: manifest }, admin);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(await storedList()).toBeNull();
    expect(await countRows(app.db, 'record_history')).toBe(history);
  });

  it('names the hash mismatch', async () => {
    const r = await app.gql(SET, { id: appId, m: withOp({ id: sha256(ME), name: 'Me', type: 'query', body: `${ME} ` }) }, admin);
    expect(r.body.errors![0].extensions).toMatchObject({ field: 'manifest.operations[0].id', reason: 'HASH_MISMATCH' });
  });
});

describe('an app with trusted documents', () => {
  beforeAll(async () => {
    const r = await app.gql<{ setPartnerAppTrustedDocuments: { trustedDocumentCount: number } }>(SET, { id: appId, m: MANIFEST }, admin);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.setPartnerAppTrustedDocuments.trustedDocumentCount).toBe(2);
  });

  it('runs a document on its list, sent as text', async () => {
    const r = await post({ query: ME, operationName: 'Me' }, appToken);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toMatchObject({ me: { id: appId, kind: 'SERVICE' } });
    const submitted = await post({ query: SUBMIT, variables: { k: 'trusted-1' } }, appToken);
    expect(submitted.body.errors).toBeUndefined();
  });

  it('runs a document on its list sent as its sha256 alone (POST and GET)', async () => {
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(ME) } };
    const r = await post({ extensions, operationName: 'Me' }, appToken);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toMatchObject({ me: { id: appId } });
    const g = await get({ extensions: JSON.stringify(extensions), operationName: 'Me' }, appToken);
    expect(g.body.errors).toBeUndefined();
    expect(g.body.data).toMatchObject({ me: { id: appId } });
  });

  it('refuses a document one character off, before execution, and audits the refusal', async () => {
    const offByOne = ME.replace('{ id kind }', '{ id  kind }');
    expect(offByOne.length).toBe(ME.length + 1);
    const reports = await countRows(app.db, 'intelligence_reports');
    for (const body of [
      { query: offByOne },
      { query: '{ me { id } }' },
      { query: SUBMIT.replace('older', 'oldest'), variables: { k: 'untrusted-1' } },
      { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(offByOne) } } },
      {},
    ]) {
      const r = await post(body, appToken);
      expect(r.status).toBe(403);
      expect(rawCodes(r)).toEqual(['OPERATION_NOT_TRUSTED']);
      expect(r.body.data).toBeUndefined();
    }
    expect(await countRows(app.db, 'intelligence_reports')).toBe(reports);

    const refused = await post({ query: offByOne, operationName: 'Me' }, appToken);
    const [event] = await app.db.query<
      { outcome: string; reason: string; actor_id: string; document_hash: string; details: Record<string, unknown> }[]
    >(`SELECT outcome, reason, actor_id, document_hash, details FROM audit_events WHERE request_id = $1`, [refused.requestId]);
    expect(event).toMatchObject({ outcome: 'DENIED', reason: 'OPERATION_NOT_TRUSTED', actor_id: appId, document_hash: sha256(offByOne) });
    expect(event.details).toMatchObject({ operationName: 'Me', path: '/graphql' });
  });

  it('refuses over GET as over POST', async () => {
    const g = await get({ query: '{ me { id } }' }, appToken);
    expect(g.status).toBe(403);
    expect(rawCodes(g)).toEqual(['OPERATION_NOT_TRUSTED']);
  });

  it('refuses a subscription not on its list over WebSocket, and audits it', async () => {
    const client = createClient({
      url: app.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${appToken}` },
      retryAttempts: 0,
    });
    try {
      const query = 'subscription { notificationAdded { id } }';
      const errors = await new Promise<{ extensions?: { code?: string } }[]>((resolve) => {
        client.subscribe(
          { query },
          {
            next: () => undefined,
            error: (e) =>
              resolve(Array.isArray(e) ? (e as { extensions?: { code?: string } }[]) : [e as { extensions?: { code?: string } }]),
            complete: () => resolve([]),
          },
        );
      });
      expect(errors.map((e) => e.extensions?.code)).toEqual(['OPERATION_NOT_TRUSTED']);
      const events = await app.db.query<{ outcome: string }[]>(
        `SELECT outcome FROM audit_events WHERE reason = 'OPERATION_NOT_TRUSTED' AND actor_id = $1 AND details->>'transport' = 'websocket'`,
        [appId],
      );
      expect(events.map((e) => e.outcome)).toEqual(['DENIED']);
    } finally {
      await client.dispose();
    }
  });

  it('leaves other apps and people as they were', async () => {
    expect((await post({ query: '{ me { id } }' }, otherAppToken)).body.errors).toBeUndefined();
    expect((await post({ query: '{ me { id } }' }, admin)).body.errors).toBeUndefined();
  });

  it('once cleared, runs any operation again', async () => {
    const history = await countRows(app.db, 'record_history');
    const r = await app.gql<{ clearPartnerAppTrustedDocuments: { trustedDocumentCount: number | null } }>(CLEAR, { id: appId }, admin);
    expect(r.body.data!.clearPartnerAppTrustedDocuments.trustedDocumentCount).toBeNull();
    expect(await countRows(app.db, 'record_history')).toBe(history + 1);
    expect((await post({ query: '{ me { id } }' }, appToken)).body.errors).toBeUndefined();
  });
});
