import { codes, countRows, startTestApp, type TestApp } from '../support/test-app';

// Statistics and search on a hot standby (docs/scaling.md, "Reads on the standby"): the same rows
// under the same row security, audited on the primary; a standby that is down costs one refused
// connection, then the circuit stays open and every read runs on the primary.

const STATS =
  '{ intelligenceStats(from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z", groupBy: [DIVISION]) { total rows { count } } }';
const SEARCH = '{ searchIntelligence(text: "report", first: 50) { totalCount edges { node { id } } } }';
const FLAGS = '{ flagStats(from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z") { activeTotal dueForReview } }';

let primary: TestApp;
beforeAll(async () => {
  primary = await startTestApp();
});
afterAll(() => primary.close());

async function answer(app: TestApp, query: string, token: string) {
  const r = await app.gql(query, {}, token);
  expect(codes(r)).toEqual([]);
  return r.body.data;
}

describe('a standby that answers', () => {
  // A standby is a physical copy: the primary itself, named as the replica, reads exactly as one
  // caught up would (not in recovery: no lag).
  let onStandby: TestApp;
  beforeAll(async () => {
    onStandby = await startTestApp({ DATABASE_REPLICA_URL: primary.databaseUrl }, primary);
  });
  afterAll(() => onStandby.close());

  it.each(['analyst@gmp.example', 'investigator@gmp.example', 'lead@brookfield-high.example'])(
    'gives %s the rows the primary gives, under the same row security, and audits the read on the primary',
    async (email) => {
      const token = (await primary.login(email)).accessToken;
      const before = onStandby.replica!.counts.standby;
      let answered = 0;
      for (const query of [SEARCH, STATS]) {
        const expected = await primary.gql(query, {}, token);
        const events = await countRows(primary.db, 'audit_events');
        const got = await onStandby.gql(query, {}, token);
        expect(got.body).toEqual(expected.body);
        if (!expected.body.errors) answered++;
        // The request's own audit event, written on the primary before the response left.
        expect(await countRows(primary.db, 'audit_events')).toBeGreaterThan(events);
      }
      // Refused reads (a school lead has no statistics) never reach the standby; a search's
      // totalCount is a read of its own there.
      if (answered) expect(onStandby.replica!.counts.standby).toBeGreaterThanOrEqual(before + answered);
      else expect(onStandby.replica!.counts.standby).toBe(before);
    },
  );

  it('returns an error and no data when the audit event of a standby read cannot be written on the primary', async () => {
    const token = (await primary.login('analyst@gmp.example')).accessToken;
    const before = onStandby.replica!.counts.standby;
    await primary.ownerQuery(`
      CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit storage unavailable'; END $$;
      CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_refuse_audit();`);
    try {
      const r = await onStandby.gql(SEARCH, {}, token);
      expect(r.body.data).toBeUndefined();
      expect(codes(r)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(JSON.stringify(r.body)).not.toContain('edges');
    } finally {
      await primary.ownerQuery('DROP TRIGGER test_refuse_audit ON audit_events; DROP FUNCTION test_refuse_audit();');
    }
    // The rows were read on the standby, and withheld.
    expect(onStandby.replica!.counts.standby).toBeGreaterThan(before);
  });

  it('runs flag statistics on the standby too', async () => {
    const token = (await primary.login('analyst@gmp.example')).accessToken;
    const before = onStandby.replica!.counts.standby;
    expect(await answer(onStandby, FLAGS, token)).toEqual(await answer(primary, FLAGS, token));
    expect(onStandby.replica!.counts.standby).toBe(before + 1);
  });
});

describe('a standby that is down', () => {
  let fallback: TestApp;
  beforeAll(async () => {
    // Port 1 on the loopback: nothing listens, the connection is refused at once.
    fallback = await startTestApp(
      { DATABASE_REPLICA_URL: 'postgres://postgres@127.0.0.1:1/postgres', REPLICA_RETRY_MS: '60000', LOG_LEVEL: 'warn' },
      primary,
    );
  });
  afterAll(() => fallback.close());

  it('answers statistics and search from the primary, trying the standby once per retry interval', async () => {
    const token = (await primary.login('analyst@gmp.example')).accessToken;
    for (let i = 0; i < 5; i++) {
      expect(await answer(fallback, STATS, token)).toEqual(await answer(primary, STATS, token));
      expect(await answer(fallback, SEARCH, token)).toEqual(await answer(primary, SEARCH, token));
    }
    expect(fallback.replica!.counts.standby).toBe(0);
    expect(fallback.replica!.counts.fallback).toBeGreaterThanOrEqual(10);
    const warnings = fallback.logs.filter((l) => String(l.msg).startsWith('standby unavailable'));
    expect(warnings).toHaveLength(1);
    expect(fallback.replica!.lagMs()).toBeNull();
  });
});
