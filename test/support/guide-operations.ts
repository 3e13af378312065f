import fs from 'node:fs';
import path from 'node:path';

/** One operation of a user guide: the account it runs as, its document and its variables. */
export interface GuideOperation {
  guide: string;
  name: string;
  /** An email, a partner app's client id, or null for an operation that needs no token. */
  as: string | null;
  query: string;
  /** Raw JSON of the variables block that follows it, if any. */
  variables: string | null;
}

export const GUIDES_DIR = path.join(__dirname, '../../docs/guides');
/** `"<id from above>"` stands for the first `id` in the previous operation's answer, `"<reference from above>"` its first `reference`. */
export const FROM_ABOVE = /"<(\w+) from above>"/g;

/**
 * Every `graphql` block of every guide, with the `# as ACCOUNT` it names: guides in the order of
 * the index (README.md) that lists them, then any it does not list; blocks in page order.
 */
export function guideOperations(dir = GUIDES_DIR): GuideOperation[] {
  const listed = [...fs.readFileSync(path.join(dir, 'README.md'), 'utf8').matchAll(/\]\(([\w-]+\.md)\)/g)].map((m) => m[1]);
  const pages = fs.readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');
  return [...new Set([...listed.filter((f) => pages.includes(f)), ...pages.sort()])].flatMap((guide) => {
    const text = fs.readFileSync(path.join(dir, guide), 'utf8');
    const blocks = [...text.matchAll(/```(\w+)[^\n]*\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2] }));
    return blocks.flatMap((block, i): GuideOperation[] => {
      if (block.lang !== 'graphql') return [];
      const as = /^# as (\S+)/.exec(block.body)?.[1];
      if (!as) throw new Error(`${guide}: a graphql block without "# as ACCOUNT" on its first line`);
      const next = blocks[i + 1];
      const name = /(?:query|mutation)\s+(\w+)/.exec(block.body)?.[1] ?? `block ${i}`;
      return [{ guide, name, as: as === 'nobody' ? null : as, query: block.body, variables: next?.lang === 'json' ? next.body : null }];
    });
  });
}

/**
 * The first value of `field` in a response's data, depth first; for `id`, also the first entry of a
 * non-empty list of ids such as `subjectIds`.
 */
export function firstValue(value: unknown, field: string): string | undefined {
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = firstValue(v, field);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record[field] === 'string') return record[field];
    if (field === 'id') {
      for (const [key, v] of Object.entries(record)) if (key.endsWith('Ids') && Array.isArray(v) && typeof v[0] === 'string') return v[0];
    }
    for (const v of Object.values(record)) {
      const found = firstValue(v, field);
      if (found) return found;
    }
  }
  return undefined;
}
