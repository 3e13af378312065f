/**
 * Caller text on its way into PostgreSQL. JavaScript strings (and JSON) may hold U+0000 and unpaired
 * UTF-16 surrogates; PostgreSQL text and jsonb cannot, and a statement carrying one fails. Cutting a
 * string by UTF-16 units can make a lone surrogate out of a valid pair. Every writer that shortens or
 * stores caller text goes through here.
 */

// eslint-disable-next-line no-control-regex -- U+0000 is exactly what must be found
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

/** U+FFFD REPLACEMENT CHARACTER: what Unicode prescribes in place of text that cannot be kept. */
export const REPLACEMENT = '\uFFFD';

/** Whether PostgreSQL can store `text` as it is (no NUL, no lone surrogate). */
export const isStorableText = (text: string): boolean => !UNSTORABLE.test(text);

/**
 * `text` cut to at most `maxCodePoints` code points (never inside a surrogate pair), with `…` added
 * when cut. Text of that many UTF-16 units or fewer is returned as it is.
 */
export function truncateText(text: string, maxCodePoints: number): string {
  if (text.length <= maxCodePoints) return text;
  let units = 0;
  let points = 0;
  for (const ch of text) {
    if (points === maxCodePoints) return `${text.slice(0, units)}…`;
    units += ch.length;
    points++;
  }
  return text;
}

/** `text` made storable (NUL and lone surrogates become U+FFFD) and, if given, cut to `maxCodePoints`. */
export function storableText(text: string, maxCodePoints?: number): string {
  const clean = isStorableText(text) ? text : text.replace(UNSTORABLE_ALL, REPLACEMENT);
  return maxCodePoints === undefined ? clean : truncateText(clean, maxCodePoints);
}

/** JSON for a jsonb parameter, every string in it (keys included) made storable. */
export function storableJson(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, _key, v: unknown) {
    if (typeof v === 'string') return storableText(v);
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).some((k) => !isStorableText(k))) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [storableText(k), x]));
    }
    return v;
  });
}
