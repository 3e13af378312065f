import { Client } from 'pg';
import { codes, type GqlResult, startTestApp, type TestApp } from '../support/test-app';

// Full-text and fuzzy name search through their indexes (the stored search vector, subject_aliases):
// the same records, in the same order, with the same counts as the predicates they replaced.
let app: TestApp;
const t: Record<string, string> = {};
let reportId: string;
beforeAll(async () => {
  app = await startTestApp();
  for (const email of ['analyst@gmp.example', 'investigator@gmp.example', 'lead@brookfield-high.example']) {
    t[email.split('@')[0]] = (await app.login(email)).accessToken;
  }
  reportId = await submit({ narrative: 'A report for the subjects of this test' });
});
afterAll(() => app.close());

async function submit(input: { narrative: string; location?: string; sourceType?: string }, token = t.investigator) {
  const r = await app.gql<{ submitIntelligence: { id: string } }>(
    `mutation($i: SubmitIntelligenceInput!) { submitIntelligence(input: $i) { id } }`,
    { i: { sourceType: 'POLICE', ...input } },
    token,
  );
  return r.body.data!.submitIntelligence.id;
}

async function newSubject(fullName: string, aliases: string[] = []) {
  const r = await app.gql<{ linkSubject: { subjects: { subject: { id: string } }[] } }>(
    `mutation($r: ID!, $i: LinkSubjectInput!) { linkSubject(reportId: $r, input: $i) { subjects { subject { id } } } }`,
    { r: reportId, i: { role: 'ASSOCIATE', newSubject: { fullName, aliases } } },
    t.investigator,
  );
  return r.body.data!.linkSubject.subjects.at(-1)!.subject.id;
}

interface Connection {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: { id: string } }[];
}

/** Every page of a connection, `first` at a time: the ids in order, and each page's totalCount. */
async function walk(field: 'subjects' | 'searchIntelligence', args: string, variables: Record<string, unknown>, first = 3) {
  const ids: string[] = [];
  const totals = new Set<number>();
  let after: string | null = null;
  for (let page = 0; page < 100; page++) {
    const r: GqlResult<Record<string, Connection>> = await app.gql<Record<string, Connection>>(
      `query($v: ${field === 'subjects' ? 'SubjectFilter' : 'String!'}, $first: Int, $after: String) {
         ${field}(${args}, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`,
      { ...variables, first, after },
      t.analyst,
    );
    expect(codes(r)).toEqual([]);
    const c: Connection = r.body.data![field];
    ids.push(...c.edges.map((e) => e.node.id));
    totals.add(c.totalCount);
    if (!c.pageInfo.hasNextPage) break;
    after = c.pageInfo.endCursor;
  }
  return { ids, totals: [...totals] };
}

describe('fuzzy name search', () => {
  // The predicate and order the subjects query had before subject_aliases, evaluated on every subject.
  const reference = async (name: string) =>
    (
      (await app.ownerQuery(
        `SELECT id FROM subjects s
          WHERE s.full_name % $1 OR EXISTS (SELECT 1 FROM unnest(s.aliases) a WHERE a % $1)
          ORDER BY similarity(s.full_name, $1) DESC, s.id`,
        [name],
      )) as { id: string }[]
    ).map((r) => r.id);

  let aliasOnly: string;
  beforeAll(async () => {
    // Matched by one alias among many: the string of all its aliases is not similar to the name.
    aliasOnly = await newSubject('Quentin Oddbody', [
      'Marmaduke Pennyfeather',
      'Zed',
      'Big Q',
      'Q the Younger',
      'Mister Oddbody Senior',
      'Quiet Quentin',
      'Lanky Lad',
    ]);
    for (const [name, aliases] of [
      ['Marmaduke Penfeather', []],
      ['Marmalade Pennyfeather', ['Duke']],
      ['Pennyfeather Marmaduke', []],
      ['Hubert Lanyard', ['Marmaduke P']],
      ['Mar Penny', ['Marma Feathers', 'Duke Penny']],
    ] as [string, string[]][]) {
      await newSubject(name, aliases);
    }
  });

  it('finds a subject by one alias among several, where all the aliases together do not resemble the name', async () => {
    const [{ together }] = (await app.ownerQuery(`SELECT array_to_string(aliases, ' ') % $1 AS together FROM subjects WHERE id = $2`, [
      'Marmaduke Pennyfeather',
      aliasOnly,
    ])) as { together: boolean }[];
    expect(together).toBe(false);
    const { ids } = await walk('subjects', 'filter: $v', { v: { name: 'Marmaduke Pennyfeather' } });
    expect(ids).toContain(aliasOnly);
  });

  it.each(['Marmaduke Pennyfeather', 'Pennyfeather', 'Duke', 'Chloe Ashworth', 'Jayden', 'Oddbody', 'zzqx'])(
    'returns the same subjects, in the same order, with the same totalCount as the old predicate, page by page: %s',
    async (name) => {
      const expected = await reference(name);
      const { ids, totals } = await walk('subjects', 'filter: $v', { v: { name } }, expected.length > 20 ? 100 : 3);
      expect(ids).toEqual(expected);
      expect(totals).toEqual([expected.length]);
    },
  );

  it('keeps subject_aliases equal to the subjects’ aliases through inserts and updates', async () => {
    const id = await newSubject('Ignatius Bramblewood', ['Iggy Thornapple']);
    expect((await walk('subjects', 'filter: $v', { v: { name: 'Iggy Thornapple' } })).ids).toContain(id);
    // The service never changes aliases yet; an owner's update (or a future mutation) keeps them in step.
    await app.ownerQuery(`UPDATE subjects SET aliases = '{"Nacho Quillfeather"}' WHERE id = $1`, [id]);
    await app.ownerQuery(`UPDATE subjects SET gender = 'MALE' WHERE id = $1`, [id]);
    expect((await walk('subjects', 'filter: $v', { v: { name: 'Iggy Thornapple' } })).ids).not.toContain(id);
    expect((await walk('subjects', 'filter: $v', { v: { name: 'Nacho Quillfeather' } })).ids).toContain(id);
    const [{ n }] = (await app.ownerQuery(
      `SELECT count(*)::int AS n FROM (
         (SELECT id, a FROM subjects, unnest(aliases) a EXCEPT ALL SELECT subject_id, alias FROM subject_aliases)
         UNION ALL
         (SELECT subject_id, alias FROM subject_aliases EXCEPT ALL SELECT id, a FROM subjects, unnest(aliases) a)) d`,
    )) as { n: number }[];
    expect(n).toBe(0);
  });

  it('is refused to the service role’s writes, and still for police analysts only', async () => {
    await expect(app.db.query(`INSERT INTO subject_aliases (subject_id, alias) SELECT id, 'x' FROM subjects LIMIT 1`)).rejects.toThrow(
      /permission denied/,
    );
    const r = await app.gql(`{ subjects(filter: { name: "Marmaduke" }) { totalCount } }`, {}, t.lead);
    expect(codes(r)).toEqual(['FORBIDDEN']);
  });

  it('uses the trigram indexes for both the name and the aliases', async () => {
    app.queries.length = 0;
    // The ranked page the service runs (its count rides on it), explained with whole-table scans made
    // unattractive (the test tables are small): any remaining Seq Scan on subjects means the name test
    // cannot use an index.
    await app.gql(`{ subjects(filter: { name: "Marmaduke" }) { totalCount } }`, {}, t.analyst);
    const count = app.queries.find((q) => q.includes('count(*) OVER ()') && q.includes('subjects_aliased'))!;
    expect(count).toBeDefined();
    // Every parameter is the name but the last two, LIMIT and OFFSET.
    const placeholders = new Set(count.match(/\$\d+/g) ?? []).size;
    const params = Array.from({ length: placeholders }, (_, i) => (i === placeholders - 2 ? 21 : i === placeholders - 1 ? 0 : 'Marmaduke'));
    const rows = await app.db.transaction(async (m) => {
      await m.query(`SET LOCAL enable_seqscan = off`);
      await m.query(`SET LOCAL enable_indexscan = off`);
      return m.query<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${count}`, params);
    });
    expect(rows.map((r) => r['QUERY PLAN']).join('\n')).not.toMatch(/Seq Scan on subjects/);
    // The name tests themselves run in subjects_named and subjects_aliased (beyond row-level
    // security, which would keep a trigram test from its index): their bodies, explained alike.
    const bodies = (await app.ownerQuery(`SELECT prosrc FROM pg_proc WHERE proname IN ('subjects_named', 'subjects_aliased')`)) as {
      prosrc: string;
    }[];
    expect(bodies).toHaveLength(2);
    // As the functions' owner, whom row-level security does not restrict.
    const owner = new Client({ connectionString: app.databaseUrl });
    await owner.connect();
    const plans: string[] = [];
    try {
      await owner.query(`SET enable_seqscan = off`);
      await owner.query(`SET enable_indexscan = off`);
      for (const { prosrc } of bodies) {
        // The body's parameter, and its check that a principal is set (which the owner need not).
        const body = prosrc.replace(/\bname\b/g, '$1').replace(/AND rls_principal\(\) IS NOT NULL/, '');
        plans.push(...(await owner.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${body}`, ['Marmaduke'])).rows.map((r) => r['QUERY PLAN']));
      }
    } finally {
      await owner.end();
    }
    const text = plans.join('\n');
    expect(text).toContain('IDX_subjects_name_trgm');
    expect(text).toContain('IDX_subject_aliases_trgm');
    expect(text).not.toMatch(/Seq Scan on subjects/);
  });
});

describe('full-text search', () => {
  // The match and rank searchIntelligence had before the stored vector, evaluated on every report.
  const reference = async (text: string) =>
    (
      (await app.ownerQuery(
        `SELECT id FROM intelligence_reports r
          WHERE report_search_vector(r.location, r.narrative) @@ websearch_to_tsquery('english', $1)
          ORDER BY ts_rank_cd(report_search_vector(r.location, r.narrative), websearch_to_tsquery('english', $1)) DESC,
                   r.received_at DESC, r.id DESC`,
        [text],
      )) as { id: string }[]
    ).map((r) => r.id);

  let inLocation: string;
  beforeAll(async () => {
    inLocation = await submit({ narrative: 'Seen near the bus station', location: 'Quorble taxi rank' });
    await submit({ narrative: 'A quorble taxi picked two girls up; the quorble driver knew them' });
    await submit({ narrative: 'Quorble mentioned once, with a taxi' });
    await submit({ narrative: 'Only a taxi here' });
    await submit({ narrative: 'Quorble alone', sourceType: 'EDUCATION' }, t.lead);
  });

  it('ranks a location match (weight A) above narrative matches, and matches words in either', async () => {
    const { ids } = await walk('searchIntelligence', 'text: $v', { v: 'quorble' });
    expect(ids[0]).toBe(inLocation);
    expect(ids).toHaveLength(4);
  });

  it.each(['quorble', 'taxi', 'quorble taxi', '"quorble driver"', 'quorble -taxi', 'girls'])(
    'returns the same reports, in the same order, with the same totalCount as the computed vector, page by page: %s',
    async (text) => {
      const expected = await reference(text);
      // Small pages for few matches, full ones for the demo's many taxis and girls.
      const { ids, totals } = await walk('searchIntelligence', 'text: $v', { v: text }, expected.length > 20 ? 100 : 2);
      expect(ids).toEqual(expected);
      expect(totals).toEqual([expected.length]);
    },
  );

  it('keeps the stored vector equal to report_search_vector(location, narrative), whatever is updated', async () => {
    const id = await submit({ narrative: 'Before the change', location: 'Old place' });
    await app.ownerQuery(`UPDATE intelligence_reports SET narrative = 'Wibblethorpe after the change' WHERE id = $1`, [id]);
    await app.ownerQuery(`UPDATE intelligence_reports SET location = NULL WHERE id = $1`, [id]);
    await app.ownerQuery(`UPDATE intelligence_reports SET search_vector = to_tsvector('english', 'forged') WHERE id = $1`, [id]);
    expect((await walk('searchIntelligence', 'text: $v', { v: 'wibblethorpe' })).ids).toEqual([id]);
    expect((await walk('searchIntelligence', 'text: $v', { v: 'forged' })).ids).toEqual([]);
    const [{ n }] = (await app.ownerQuery(
      `SELECT count(*)::int AS n FROM intelligence_reports WHERE search_vector IS DISTINCT FROM report_search_vector(location, narrative)`,
    )) as { n: number }[];
    expect(n).toBe(0);
  });
});
