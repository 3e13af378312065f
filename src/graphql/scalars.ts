import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD (so 2014-02-30 is refused). */
export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

function parseDate(value: unknown): string {
  if (typeof value !== 'string' || !isIsoDate(value)) throw new GraphQLError('Date must be a calendar date written YYYY-MM-DD');
  return value;
}

/** A calendar date, YYYY-MM-DD, kept as a string end to end (no time zone to shift it). */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD',
  serialize: (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : parseDate(value)),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

/** Arbitrary JSON (for change history snapshots). */
export const JsonScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  description: 'A JSON value',
  serialize: (value) => value,
  parseValue: () => {
    throw new GraphQLError('JSON is output only');
  },
  parseLiteral: () => {
    throw new GraphQLError('JSON is output only');
  },
});

/** A JSON object given as input (a trusted-documents manifest): the service validates its shape. */
export const JsonInputScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSONObject',
  description: 'A JSON object, as input',
  serialize: (value) => value,
  parseValue: (value) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new GraphQLError('Expected a JSON object');
    return value;
  },
  parseLiteral: (ast, variables) => {
    if (ast.kind !== Kind.OBJECT) throw new GraphQLError('Expected a JSON object');
    return valueFromASTUntyped(ast, variables);
  },
});
