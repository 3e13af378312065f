/**
 * A tiny SQL builder for hand-written queries: values always travel as bind parameters ($1, $2, ...),
 * never spliced into the text, so user input cannot change a query's shape. Fragments compose.
 */
export class Sql {
  constructor(
    readonly parts: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /** Numbered text and its parameters, ready for `db.query(text, values)`. */
  toQuery(): { text: string; values: unknown[] } {
    const values: unknown[] = [];
    const text = this.render(values);
    return { text, values };
  }

  private render(values: unknown[]): string {
    let text = this.parts[0];
    this.values.forEach((value, i) => {
      if (value instanceof Sql) {
        text += value.render(values);
      } else {
        values.push(value);
        text += `$${values.length}`;
      }
      text += this.parts[i + 1];
    });
    return text;
  }
}

/** sql`SELECT ... WHERE id = ${id} AND ${otherFragment}` */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return new Sql([...strings], values);
}

/** Trusted text only (identifiers and keywords chosen by our code, never by a caller). */
export function raw(text: string): Sql {
  return new Sql([text], []);
}

export function join(fragments: readonly Sql[], separator: string): Sql {
  if (fragments.length === 0) return raw('');
  return new Sql(['', ...fragments.slice(1).map(() => separator), ''], fragments);
}

/** AND of the conditions; `true` when there are none. */
export function and(conditions: readonly Sql[]): Sql {
  return conditions.length ? sql`(${join(conditions, ') AND (')})` : raw('true');
}

/** Anything that runs SQL: a DataSource, or the EntityManager of a transaction. */
export type Queryable = { query(text: string, params?: unknown[]): Promise<unknown> };

/** Runs a built query on anything with TypeORM's `query(text, params)`. */
export function run<T>(db: Queryable, query: Sql): Promise<T[]> {
  const { text, values } = query.toQuery();
  return db.query(text, values) as Promise<T[]>;
}
