import { MAX_NAMED_STATEMENTS, statementName } from '../../src/db/prepared-statements';

describe('statementName', () => {
  it('names one text the same way every time, and different texts differently', () => {
    const a = statementName('SELECT $1::int AS unit_a');
    expect(a).toMatch(/^safeshare_[0-9a-f]{24}$/);
    expect(statementName('SELECT $1::int AS unit_a')).toBe(a);
    expect(statementName('SELECT $1::int AS unit_b')).not.toBe(a);
  });

  it('stops naming new texts at the bound, and keeps the names it gave', () => {
    const first = statementName('SELECT $1::int AS kept');
    for (let i = 0; i < MAX_NAMED_STATEMENTS + 10; i++) statementName(`SELECT $1::int AS filler_${i}`);
    expect(statementName('SELECT $1::int AS one_too_many')).toBeUndefined();
    expect(statementName('SELECT $1::int AS kept')).toBe(first);
  });
});
