import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/demo/demo-seed';
import { codes, startTestApp, type TestApp } from '../support/test-app';

// Sessions (docs/accounts.md, "Sessions"): a person lists and ends their own; an ADMIN their agency's users'.

const MY = '{ mySessions { totalCount edges { node { id userId current refreshExpiresAt } } } }';
const OF_USER = 'query($u: ID!) { userSessions(userId: $u) { totalCount edges { node { id userId current } } } }';
const REVOKE = 'mutation($id: ID!) { revokeSession(id: $id) }';
const ME = '{ me { id } }';
type Sessions = { totalCount: number; edges: { node: { id: string; userId: string; current: boolean; refreshExpiresAt?: string } }[] };

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const sessionOf = (token: string) => app.tokens.verify(token, 'access')!.sid;
const liveSessions = async (userId: string) =>
  (
    await app.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM auth_sessions WHERE user_id = $1 AND revoked_at IS NULL`, [userId])
  )[0].n;

describe('mySessions and revokeSession', () => {
  it("lists the caller's live sessions, marks the current one, and ends another, whose tokens stop working", async () => {
    const first = await app.login('nurse@northern-health.example');
    const second = await app.login('nurse@northern-health.example');
    await app.gql('mutation { logout }', {}, (await app.login('nurse@northern-health.example')).accessToken);
    const r = await app.gql<{ mySessions: Sessions }>(MY, {}, first.accessToken);
    expect(codes(r)).toEqual([]);
    const ids = r.body.data!.mySessions.edges.map((e) => e.node.id);
    expect(ids).toEqual(expect.arrayContaining([sessionOf(first.accessToken), sessionOf(second.accessToken)]));
    expect(r.body.data!.mySessions.edges.find((e) => e.node.current)!.node.id).toBe(sessionOf(first.accessToken));
    expect(r.body.data!.mySessions.edges.every((e) => e.node.refreshExpiresAt)).toBe(true);
    // The logged-out session is not live: not listed.
    expect(r.body.data!.mySessions.totalCount).toBe(ids.length);

    expect(codes(await app.gql(REVOKE, { id: sessionOf(second.accessToken) }, first.accessToken))).toEqual([]);
    expect(codes(await app.gql(ME, {}, second.accessToken))).toEqual(['UNAUTHENTICATED']);
    expect(
      codes(await app.gql('mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }', { t: second.refreshToken })),
    ).toEqual(['UNAUTHENTICATED']);
    expect(codes(await app.gql(ME, {}, first.accessToken))).toEqual([]);
    const events = await app.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'CHANGE' AND record_kind = 'auth_session' AND $1::uuid = ANY(record_ids)`,
      [sessionOf(second.accessToken)],
    );
    expect(events[0].n).toBe(1);
    // Already ended: nothing to end.
    expect(codes(await app.gql(REVOKE, { id: sessionOf(second.accessToken) }, first.accessToken))).toEqual(['NOT_FOUND']);
  });

  it("is NOT_FOUND for someone else's session to a non-admin, and ends nothing", async () => {
    const victim = await app.login('practitioner@rochdale-csc.example');
    const other = await app.login('lead@brookfield-high.example');
    expect(codes(await app.gql(REVOKE, { id: sessionOf(victim.accessToken) }, other.accessToken))).toEqual(['NOT_FOUND']);
    expect(codes(await app.gql(ME, {}, victim.accessToken))).toEqual([]);
    const mine = await app.gql<{ mySessions: Sessions }>(MY, {}, other.accessToken);
    expect(mine.body.data!.mySessions.edges.map((e) => e.node.id)).not.toContain(sessionOf(victim.accessToken));
  });

  it('is FORBIDDEN to a partner app, and a malformed id is BAD_USER_INPUT', async () => {
    const app_ = await app.gql<{ serviceToken: { accessToken: string } }>(
      'mutation($c: String!, $s: String!) { serviceToken(clientId: $c, clientSecret: $s) { accessToken } }',
      { c: DEMO_CLIENT_ID, s: DEMO_CLIENT_SECRET },
    );
    const token = app_.body.data!.serviceToken.accessToken;
    expect(codes(await app.gql(MY, {}, token))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(REVOKE, { id: sessionOf(token) }, token))).toEqual(['FORBIDDEN']);
    const lead = await app.login('lead@brookfield-high.example');
    expect(codes(await app.gql(REVOKE, { id: 'nope' }, lead.accessToken))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(MY))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('userSessions (ADMIN)', () => {
  it("lists and ends the sessions of the admin's own agency's users", async () => {
    const admin = (await app.login('admin@brookfield-high.example')).accessToken;
    const lead = await app.login('lead@brookfield-high.example');
    const leadId = app.tokens.verify(lead.accessToken, 'access')!.sub;
    const r = await app.gql<{ userSessions: Sessions }>(OF_USER, { u: leadId }, admin);
    expect(codes(r)).toEqual([]);
    expect(r.body.data!.userSessions.edges.map((e) => e.node.id)).toContain(sessionOf(lead.accessToken));
    expect(r.body.data!.userSessions.edges.every((e) => e.node.userId === leadId && !e.node.current)).toBe(true);
    expect(codes(await app.gql(REVOKE, { id: sessionOf(lead.accessToken) }, admin))).toEqual([]);
    expect(codes(await app.gql(ME, {}, lead.accessToken))).toEqual(['UNAUTHENTICATED']);
  });

  it("is NOT_FOUND for another agency's user and session, and FORBIDDEN to a non-admin", async () => {
    const otherAdmin = (await app.login('admin@oversight.example')).accessToken;
    const lead = await app.login('lead@brookfield-high.example');
    const leadId = app.tokens.verify(lead.accessToken, 'access')!.sub;
    const before = await liveSessions(leadId);
    expect(codes(await app.gql(OF_USER, { u: leadId }, otherAdmin))).toEqual(['NOT_FOUND']);
    expect(codes(await app.gql(REVOKE, { id: sessionOf(lead.accessToken) }, otherAdmin))).toEqual(['NOT_FOUND']);
    expect(codes(await app.gql(OF_USER, { u: leadId }, lead.accessToken))).toEqual(['FORBIDDEN']);
    for (const email of ['auditor@oversight.example', 'supervisor@gmp.example']) {
      const token = (await app.login(email)).accessToken;
      expect(codes(await app.gql(OF_USER, { u: leadId }, token))).toEqual(['FORBIDDEN']);
    }
    const auditor = (await app.login('auditor@oversight.example')).accessToken;
    expect(codes(await app.gql(REVOKE, { id: sessionOf(lead.accessToken) }, auditor))).toEqual(['NOT_FOUND']);
    expect(await liveSessions(leadId)).toBe(before);
    expect(codes(await app.gql(ME, {}, lead.accessToken))).toEqual([]);
  });
});
