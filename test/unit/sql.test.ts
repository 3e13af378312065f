import { and, join, raw, sql } from '../../src/db/sql';

describe('sql builder', () => {
  it('numbers parameters through nested fragments and never inlines values', () => {
    const hostile = "x'); DROP TABLE users; --";
    const where = and([sql`a = ${1}`, sql`b = ${hostile}`]);
    const q = sql`SELECT * FROM t WHERE ${where} AND c IN (${join([sql`${'p'}`, sql`${'q'}`], ', ')}) LIMIT ${10}`.toQuery();
    expect(q.text).toBe('SELECT * FROM t WHERE (a = $1) AND (b = $2) AND c IN ($3, $4) LIMIT $5');
    expect(q.values).toEqual([1, hostile, 'p', 'q', 10]);
  });

  it('renders an empty AND as true and raw text as is', () => {
    expect(sql`WHERE ${and([])}`.toQuery().text).toBe('WHERE true');
    expect(sql`ORDER BY ${raw('r.received_at DESC')}`.toQuery()).toEqual({ text: 'ORDER BY r.received_at DESC', values: [] });
  });
});
