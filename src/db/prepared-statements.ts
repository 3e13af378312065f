import { createHash } from 'node:crypto';
import { Client } from 'pg';

/**
 * Distinct statement texts a process names; beyond them statements run unnamed, as before. The
 * service's SQL is built from fixed fragments with `$n` placeholders, so its texts are few; the
 * bound keeps a caller-shaped text from growing every connection's set of prepared statements.
 */
export const MAX_NAMED_STATEMENTS = 1_000;

const names = new Map<string, string>();

/** The name a parameterised statement is prepared under, or undefined once the bound is reached. */
export function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED_STATEMENTS) {
    name = `safeshare_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

type AnyQuery = (...args: unknown[]) => never;

/**
 * A pg client that prepares each parameterised statement once per connection: PostgreSQL parses
 * and plans an unnamed statement on every execution, which at the service's request rate cost about
 * as much as running them (docs/performance.md). Statements without parameters keep the simple
 * protocol (they may hold several statements, as a request transaction's opening does).
 */
export class PreparingClient extends Client {
  override query(...args: unknown[]): never {
    const query = super.query.bind(this) as unknown as AnyQuery;
    const [text, values, callback] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0) {
      const name = statementName(text);
      if (name) return query({ name, text, values }, callback);
    }
    return query(...args);
  }
}
