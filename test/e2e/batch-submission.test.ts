import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/demo/demo-seed';
import { foldReportCounts } from '../../src/stats/stats.queries';
import { codes, countRows, startTestApp, type TestApp } from '../support/test-app';

/** submitIntelligenceBatch: all or none, each item checked as submitIntelligence checks it, audited like it. */

let app: TestApp;
const tokens: Record<string, string> = {};
beforeAll(async () => {
  app = await startTestApp();
  for (const email of [
    'analyst@gmp.example',
    'lead@brookfield-high.example',
    'reporter@safe-futures.example',
    'auditor@oversight.example',
    'admin@oversight.example',
  ]) {
    tokens[email.split('@')[0]] = (await app.login(email)).accessToken;
  }
  const service = await app.gql<{ serviceToken: { accessToken: string } }>(
    'mutation($c: String!, $s: String!) { serviceToken(clientId: $c, clientSecret: $s) { accessToken } }',
    { c: DEMO_CLIENT_ID, s: DEMO_CLIENT_SECRET },
  );
  tokens.app = service.body.data!.serviceToken.accessToken;
});
afterAll(() => app.close());

interface Report {
  id: string;
  reference: string;
  status: string;
  sourceType: string;
  narrative: string;
  receivedAt: string;
  division: { id: string } | null;
  riskIndicators: string[];
}
const BATCH = `mutation Batch($inputs: [SubmitIntelligenceInput!]!) { submitIntelligenceBatch(inputs: $inputs) {
  id reference status sourceType narrative receivedAt division { id } riskIndicators } }`;
const batch = (token: string, inputs: Record<string, unknown>[]) =>
  app.gql<{ submitIntelligenceBatch: Report[] }>(BATCH, { inputs }, token);

let counter = 0;
/** A voluntary group's submission, distinct from every other in this file. */
const item = (extra: Record<string, unknown> = {}) => ({
  sourceType: 'VOLUNTARY',
  narrative: `Outreach workers saw a girl driven from the bus station (batch test ${++counter})`,
  divisionId: 'rochdale',
  riskIndicators: ['TRANSPORTED_BY_ADULTS'],
  ...extra,
});

/** What a refused batch must leave untouched. */
const TABLES = ['intelligence_reports', 'informants', 'record_history', 'report_count_deltas'];
const counts = async (): Promise<Record<string, number>> =>
  Object.fromEntries(await Promise.all(TABLES.map(async (t): Promise<[string, number]> => [t, await countRows(app.db, t)])));

describe('a batch', () => {
  it('records every submission, in the order given, each with a reference', async () => {
    const inputs = [item(), item({ divisionId: null, riskIndicators: [] }), item({ sourceType: 'PUBLIC', divisionId: 'bury' })];
    const r = await batch(tokens.reporter, inputs);
    expect(r.body.errors).toBeUndefined();
    const reports = r.body.data!.submitIntelligenceBatch;
    expect(reports.map((x) => x.narrative)).toEqual(inputs.map((i) => i.narrative));
    expect(reports.map((x) => x.sourceType)).toEqual(['VOLUNTARY', 'VOLUNTARY', 'PUBLIC']);
    expect(reports.map((x) => x.division?.id ?? null)).toEqual(['rochdale', null, 'bury']);
    expect(reports.map((x) => x.status)).toEqual(['SUBMITTED', 'SUBMITTED', 'SUBMITTED']);
    expect(new Set(reports.map((x) => x.reference)).size).toBe(3);
    const stored = await app.ownerQuery(
      `SELECT id, narrative, submitted_by_user_id IS NOT NULL AS by_user FROM intelligence_reports WHERE id = ANY($1::uuid[])`,
      [reports.map((x) => x.id)],
    );
    expect(stored).toHaveLength(3);
  });

  it('keeps informant details of public tip-offs, readable by a supervisor only', async () => {
    const police = (await app.login('supervisor@gmp.example')).accessToken;
    const r = await batch(police, [
      { sourceType: 'POLICE', narrative: 'Officer saw a known adult collect two girls from school' },
      {
        sourceType: 'PUBLIC',
        narrative: 'A neighbour called about men visiting a flat',
        informant: { name: ' A. Neighbour ', contact: '0161 000 0000' },
      },
    ]);
    expect(r.body.errors).toBeUndefined();
    const [, tip] = r.body.data!.submitIntelligenceBatch;
    const read = await app.gql<{ intelligenceReport: { informant: { name: string; contact: string } | null } }>(
      'query($id: ID!) { intelligenceReport(id: $id) { informant { name contact } } }',
      { id: tip.id },
      police,
    );
    expect(read.body.data!.intelligenceReport.informant).toEqual({ name: 'A. Neighbour', contact: '0161 000 0000' });
  });

  it('lets a partner app submit a batch and read its reports back', async () => {
    const r = await batch(tokens.app, [item(), item()]);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.submitIntelligenceBatch).toHaveLength(2);
  });

  it('writes a history entry and a CHANGE audit event for every report, in the same transaction', async () => {
    const r = await batch(tokens.lead, [
      item({ sourceType: 'EDUCATION' }),
      item({ sourceType: 'EDUCATION' }),
      item({ sourceType: 'PUBLIC' }),
    ]);
    expect(r.body.errors).toBeUndefined();
    const ids = r.body.data!.submitIntelligenceBatch.map((x) => x.id);
    const history = (await app.ownerQuery(
      `SELECT id::text, record_id::text, action, after->>'narrative' AS narrative FROM record_history
        WHERE record_kind = 'intelligence_report' AND record_id = ANY($1::uuid[]) ORDER BY record_history.id`,
      [ids],
    )) as { id: string; record_id: string; action: string; narrative: string }[];
    expect(history.map((h) => h.record_id)).toEqual(ids);
    expect(history.every((h) => h.action === 'submitted' && h.narrative)).toBe(true);
    const events = (await app.ownerQuery(
      `SELECT record_ids[1]::text AS id, details->>'historyId' AS history_id, details->'changedFields' AS fields, outcome, actor_id IS NOT NULL AS actor
         FROM audit_events WHERE action = 'CHANGE' AND record_ids && $1::uuid[]`,
      [ids],
    )) as { id: string; history_id: string; fields: string[]; outcome: string; actor: boolean }[];
    expect(events).toHaveLength(3);
    const historyOf = new Map(history.map((h) => [h.record_id, h.id]));
    for (const e of events) {
      expect(e.history_id).toBe(historyOf.get(e.id));
      expect(e.outcome).toBe('ALLOWED');
      expect(e.actor).toBe(true);
      expect(e.fields).toContain('narrative');
    }
    const write = (await app.ownerQuery(
      `SELECT outcome, record_count FROM audit_events WHERE action = 'WRITE' AND operation_field = 'submitIntelligenceBatch' AND record_ids && $1::uuid[]`,
      [ids],
    )) as { outcome: string; record_count: number }[];
    expect(write).toEqual([{ outcome: 'ALLOWED', record_count: 3 }]);
  });
});

describe('bad input: the whole batch is refused, nothing is written, the error names the item', () => {
  it.each([
    ['a source type the submitter may not use', { sourceType: 'POLICE' }, 'inputs[1].sourceType'],
    ['informant details on a non-public report', { informant: { name: 'Someone' } }, 'inputs[1].informant'],
    ['a blank narrative', { narrative: '   ' }, 'inputs[1].narrative'],
    ['an overlong narrative', { narrative: 'x'.repeat(20_001) }, 'inputs[1].narrative'],
    ['an unknown division', { divisionId: 'atlantis' }, 'inputs[1].divisionId'],
    ['a blank division', { divisionId: ' ' }, 'inputs[1].divisionId'],
    ['a future receivedAt', { receivedAt: new Date(Date.now() + 86_400_000).toISOString() }, 'inputs[1].receivedAt'],
    ['occurredAt after receivedAt', { receivedAt: '2024-01-02T00:00:00Z', occurredAt: '2024-01-03T00:00:00Z' }, 'inputs[1].occurredAt'],
    ['repeated risk indicators', { riskIndicators: ['SELF_HARM', 'SELF_HARM'] }, 'inputs[1].riskIndicators'],
  ])('%s', async (_name, bad, field) => {
    const before = await counts();
    const r = await batch(tokens.reporter, [item(), item(bad), item()]);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].extensions!.field).toBe(field);
    expect(r.body.errors![0].message).toContain('inputs[1]');
    expect(r.body.data).toBeNull();
    expect(await counts()).toEqual(before);
  });

  it('names the limit: no inputs, or more than 500', async () => {
    const before = await counts();
    for (const inputs of [[], Array.from({ length: 501 }, () => item())]) {
      const r = await batch(tokens.reporter, inputs);
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
      expect(r.body.errors![0].message).toMatch(/1 to 500/);
      expect(r.body.errors![0].extensions!.field).toBe('inputs');
    }
    expect(await counts()).toEqual(before);
  });

  it('takes 500 at once', async () => {
    const r = await batch(
      tokens.reporter,
      Array.from({ length: 500 }, () => item()),
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.submitIntelligenceBatch).toHaveLength(500);
  });

  it('refuses one idempotency key twice in a batch', async () => {
    const before = await counts();
    const r = await batch(tokens.reporter, [item({ idempotencyKey: 'twice' }), item(), item({ idempotencyKey: 'twice' })]);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].extensions!.field).toBe('inputs[2].idempotencyKey');
    expect(await counts()).toEqual(before);
  });
});

describe('idempotency keys, per item', () => {
  it('a retried batch returns the same reports and records nothing again', async () => {
    const inputs = [item({ idempotencyKey: 'b-1' }), item({ idempotencyKey: 'b-2', riskIndicators: ['SELF_HARM', 'OLDER_PARTNER'] })];
    const first = await batch(tokens.reporter, inputs);
    expect(first.body.errors).toBeUndefined();
    const before = await counts();
    // The same payload in another spelling (risk indicators in another order) is the same submission.
    const retry = await batch(tokens.reporter, [inputs[0], { ...inputs[1], riskIndicators: ['OLDER_PARTNER', 'SELF_HARM'] }]);
    expect(retry.body.errors).toBeUndefined();
    expect(retry.body.data!.submitIntelligenceBatch.map((x) => x.id)).toEqual(first.body.data!.submitIntelligenceBatch.map((x) => x.id));
    expect(await counts()).toEqual(before);
  });

  it('a retry that adds items records only the new ones; a key from submitIntelligence counts too', async () => {
    const single = await app.gql<{ submitIntelligence: { id: string } }>(
      'mutation($i: SubmitIntelligenceInput!) { submitIntelligence(input: $i) { id } }',
      { i: item({ idempotencyKey: 'single-then-batch', narrative: 'Sent alone first' }) },
      tokens.reporter,
    );
    const alone = { ...item({ idempotencyKey: 'single-then-batch' }), narrative: 'Sent alone first' };
    const before = await countRows(app.db, 'intelligence_reports');
    const r = await batch(tokens.reporter, [item({ idempotencyKey: 'new-in-batch' }), alone]);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.submitIntelligenceBatch[1].id).toBe(single.body.data!.submitIntelligence.id);
    expect(await countRows(app.db, 'intelligence_reports')).toBe(before + 1);
  });

  it('a reused key with another payload is CONFLICT naming the item, and nothing of the batch is written', async () => {
    const original = item({ idempotencyKey: 'c-1' });
    await batch(tokens.reporter, [original]);
    const before = await counts();
    const r = await batch(tokens.reporter, [item({ idempotencyKey: 'c-2' }), { ...original, narrative: 'A different story' }]);
    expect(codes(r)).toEqual(['CONFLICT']);
    expect(r.body.errors![0].extensions!.field).toBe('inputs[1].idempotencyKey');
    expect(await counts()).toEqual(before);
  });

  it('keys are the submitter’s own: another agency may use the same one', async () => {
    const a = await batch(tokens.reporter, [item({ idempotencyKey: 'shared' })]);
    const b = await batch(tokens.lead, [item({ idempotencyKey: 'shared', sourceType: 'EDUCATION' })]);
    expect(a.body.errors).toBeUndefined();
    expect(b.body.errors).toBeUndefined();
    expect(a.body.data!.submitIntelligenceBatch[0].id).not.toBe(b.body.data!.submitIntelligenceBatch[0].id);
  });

  it('concurrent retries of one batch record it once', async () => {
    const inputs = [item({ idempotencyKey: 'race-1' }), item({ idempotencyKey: 'race-2' }), item()];
    const keyed = inputs.slice(0, 2);
    const results = await Promise.all([1, 2, 3, 4].map(() => batch(tokens.reporter, keyed)));
    for (const r of results) expect(r.body.errors).toBeUndefined();
    const ids = results.map((r) => r.body.data!.submitIntelligenceBatch.map((x) => x.id).join());
    expect(new Set(ids).size).toBe(1);
  });
});

describe('permission', () => {
  it.each([
    ['an auditor', 'auditor', 'FORBIDDEN'],
    ['an administrator', 'admin', 'FORBIDDEN'],
    ['no token', null, 'UNAUTHENTICATED'],
  ])('%s may not submit a batch', async (_who, who, code) => {
    const before = await counts();
    const r = await app.gql(BATCH, { inputs: [item()] }, who ? tokens[who] : undefined);
    expect(codes(r)).toEqual([code]);
    expect(await counts()).toEqual(before);
  });
});

describe('statistics stay exact', () => {
  const STATS = `query($from: DateTime!, $to: DateTime!) { intelligenceStats(from: $from, to: $to, groupBy: [DIVISION, SOURCE_TYPE, MONTH]) {
    total rows { division { id } sourceType month count } } }`;
  /** The same figures counted from the reports themselves. */
  async function fromReports(from: string, to: string) {
    const rows = (await app.ownerQuery(
      `SELECT division_id, source_type::text, to_char(date_trunc('month', received_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS month, count(*)::int AS n
         FROM intelligence_reports WHERE received_at >= $1 AND received_at < $2 GROUP BY 1, 2, 3`,
      [from, to],
    )) as { division_id: string | null; source_type: string; month: string; n: number }[];
    return {
      total: rows.reduce((sum, r) => sum + r.n, 0),
      rows: Object.fromEntries(rows.map((r) => [`${r.division_id}/${r.source_type}/${r.month}`, r.n])),
    };
  }
  async function fromStats(from: string, to: string) {
    const r = await app.gql<{
      intelligenceStats: { total: number; rows: { division: { id: string } | null; sourceType: string; month: string; count: number }[] };
    }>(STATS, { from, to }, tokens.analyst);
    expect(r.body.errors).toBeUndefined();
    const s = r.body.data!.intelligenceStats;
    return {
      total: s.total,
      rows: Object.fromEntries(s.rows.map((x) => [`${x.division?.id ?? null}/${x.sourceType}/${x.month}`, x.count])),
    };
  }
  // Whole months, whole days around them and partial days at both ends, over the submissions below.
  const RANGES: [string, string][] = [
    ['2023-11-14T09:30:00Z', '2024-04-03T17:00:00Z'],
    ['2024-01-01T00:00:00Z', '2024-03-01T00:00:00Z'],
    ['2024-02-10T00:00:00Z', '2024-02-12T12:00:00Z'],
    ['2016-12-31T00:00:00Z', '2026-12-31T00:00:00Z'],
  ];
  /** Cells where a rollup plus its deltas differs from the reports, in one statement (one snapshot). */
  const miscounted = async () => {
    const [{ n }] = (await app.ownerQuery(`
      SELECT (SELECT count(*) FROM (
                SELECT 1 FROM (SELECT day, division_id, source_type, reports AS n FROM report_daily_counts
                               UNION ALL SELECT day, division_id, source_type, reports FROM report_count_deltas
                               UNION ALL SELECT (received_at AT TIME ZONE 'UTC')::date, division_id, source_type, -1 FROM intelligence_reports) x
                 GROUP BY day, division_id, source_type HAVING sum(n) <> 0) d)
           + (SELECT count(*) FROM (
                SELECT 1 FROM (SELECT month, division_id, source_type, reports AS n FROM report_monthly_counts
                               UNION ALL SELECT date_trunc('month', day)::date, division_id, source_type, reports FROM report_count_deltas
                               UNION ALL SELECT date_trunc('month', received_at AT TIME ZONE 'UTC')::date, division_id, source_type, -1
                                           FROM intelligence_reports) x
                 GROUP BY month, division_id, source_type HAVING sum(n) <> 0) m) AS n`)) as { n: string }[];
    return Number(n);
  };
  const expectExact = async () => {
    expect(await miscounted()).toBe(0);
    for (const [from, to] of RANGES) expect(await fromStats(from, to)).toEqual(await fromReports(from, to));
  };
  const spread = (n: number, seed: number) =>
    Array.from({ length: n }, (_, i) => {
      const day = new Date(Date.UTC(2023, 10, 1) + ((i * 7919 + seed * 104_729) % 170) * 86_400_000 + ((i * 37) % 24) * 3_600_000);
      return item({
        receivedAt: day.toISOString(),
        divisionId: [null, 'rochdale', 'bury', 'wigan'][(i + seed) % 4],
        sourceType: (i + seed) % 3 ? 'VOLUNTARY' : 'PUBLIC',
      });
    });

  it('after concurrent batches and single submissions, with and without a fold', async () => {
    await Promise.all([
      ...[1, 2, 3, 4, 5, 6].map((seed) => batch(seed % 2 ? tokens.reporter : tokens.app, spread(60, seed))),
      ...[7, 8, 9, 10].map((seed) =>
        app.gql(
          'mutation($i: SubmitIntelligenceInput!) { submitIntelligence(input: $i) { id } }',
          { i: spread(1, seed)[0] },
          tokens.reporter,
        ),
      ),
    ]).then((results) => results.forEach((r) => expect(r.body.errors).toBeUndefined()));
    expect(await countRows(app.db, 'report_count_deltas')).toBeGreaterThan(0);
    await expectExact();

    expect(await foldReportCounts(app.db)).toBeGreaterThan(0);
    expect(await countRows(app.db, 'report_count_deltas')).toBe(0);
    await expectExact();

    // Folding while submissions run: rollups and deltas agree with the reports at every moment (each
    // check is one statement, so one snapshot), and all of it is folded in the end.
    const checks: Promise<number>[] = [];
    const watching = (async () => {
      for (let i = 0; i < 8; i++) {
        checks.push(miscounted());
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    await Promise.all([
      batch(tokens.reporter, spread(80, 11)),
      foldReportCounts(app.db),
      batch(tokens.app, spread(80, 12)),
      foldReportCounts(app.db),
      watching,
    ]);
    expect(await Promise.all(checks)).toEqual(Array<number>(8).fill(0));
    await expectExact();
    await foldReportCounts(app.db);
    await expectExact();
  });

  it('moving and deleting reports is counted too (updates and deletes append deltas)', async () => {
    await app.ownerQuery(
      `UPDATE intelligence_reports SET division_id = 'salford', received_at = received_at - interval '40 days'
        WHERE id IN (SELECT id FROM intelligence_reports WHERE narrative LIKE '%(batch test %' ORDER BY id LIMIT 25)`,
    );
    await expectExact();
    await app.ownerQuery(
      `DELETE FROM intelligence_reports WHERE id IN (SELECT id FROM intelligence_reports r WHERE narrative LIKE '%(batch test %'
          AND NOT EXISTS (SELECT 1 FROM informants i WHERE i.report_id = r.id) ORDER BY id DESC LIMIT 10)`,
    );
    await expectExact();
    await foldReportCounts(app.db);
    await expectExact();
    const [{ ok }] = (await app.ownerQuery(
      `SELECT bool_and(c.reports = coalesce(r.n, 0)) AS ok FROM report_daily_counts c LEFT JOIN (
         SELECT (received_at AT TIME ZONE 'UTC')::date AS day, division_id, source_type, count(*)::int AS n FROM intelligence_reports GROUP BY 1, 2, 3
       ) r ON r.day = c.day AND r.division_id IS NOT DISTINCT FROM c.division_id AND r.source_type = c.source_type`,
    )) as { ok: boolean }[];
    expect(ok).toBe(true);
  });

  it('the application role may fold and read the deltas, but not write them or the rollups', async () => {
    await expect(app.db.query(`INSERT INTO report_count_deltas VALUES ('2024-01-01', NULL, 'PUBLIC', 1000)`)).rejects.toThrow(/permission/);
    await expect(app.db.query(`DELETE FROM report_count_deltas`)).rejects.toThrow(/permission/);
    await expect(app.db.query(`UPDATE report_monthly_counts SET reports = 0`)).rejects.toThrow(/permission/);
    expect(await foldReportCounts(app.db)).not.toBeNull();
    expect(await countRows(app.db, 'report_count_deltas')).toBe(0);
  });
});
