import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  getNamedType,
  GraphQLID,
  type GraphQLInputType,
  GraphQLString,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  type GraphQLField,
} from 'graphql';
import { buildAppSchema } from '../../src/graphql/schema';
import { Role } from '../../src/policy/roles';
import { createPrincipal, type TestPrincipal } from '../support/principals';
import { startTestApp, type TestApp } from '../support/test-app';
import { anyUtf16, longText, straddling } from '../support/unicode';

/**
 * Every String and ID argument of the schema (root arguments, input object fields at any depth,
 * list items), given any UTF-16 text (astral characters, NUL, lone surrogates, text longer than the
 * audit's 500-character cut with a surrogate pair across it): the request never answers 5xx and
 * always leaves its audit event.
 */

type Field = GraphQLField<unknown, unknown>;
interface Leaf {
  root: 'query' | 'mutation';
  field: Field;
  arg: string;
  /** Field names inside the argument's input objects; lists are transparent. */
  path: string[];
}

const SOME_ID = '00000000-0000-4000-8000-000000000000';

/** A valid-looking value of `type`: required input fields filled, optional ones left out. */
function placeholder(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return placeholder(type.ofType);
  if (isListType(type)) return [placeholder(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0].value;
  if (isInputObjectType(type)) {
    return Object.fromEntries(
      Object.values(type.getFields())
        .filter((f) => isNonNullType(f.type) && f.defaultValue === undefined)
        .map((f) => [f.name, placeholder(f.type)]),
    );
  }
  const scalar: Record<string, unknown> = { ID: SOME_ID, String: 'x', Int: 1, Float: 1, Boolean: false, Date: '2024-01-01' };
  return scalar[type.name] ?? '2024-01-01T00:00:00.000Z';
}

/** `type`'s placeholder with `text` at `path`. */
function withText(type: GraphQLInputType, path: string[], text: string): unknown {
  if (isNonNullType(type)) return withText(type.ofType, path, text);
  if (isListType(type)) return [withText(type.ofType, path, text)];
  if (path.length === 0) return text;
  if (!isInputObjectType(type)) throw new Error(`no field ${path[0]} in ${String(type)}`);
  return { ...(placeholder(type) as object), [path[0]]: withText(type.getFields()[path[0]].type, path.slice(1), text) };
}

/** Paths to every String or ID inside `type`. */
function textPaths(type: GraphQLInputType, seen: string[] = []): string[][] {
  const named = getNamedType(type);
  if (named === GraphQLString || named === GraphQLID) return [[]];
  if (!isInputObjectType(named) || seen.includes(named.name)) return [];
  return Object.values(named.getFields()).flatMap((f) => textPaths(f.type, [...seen, named.name]).map((p) => [f.name, ...p]));
}

function operationFor(leaf: Leaf, text: string): { query: string; variables: Record<string, unknown> } {
  const variables: Record<string, unknown> = {};
  const declared: string[] = [];
  const passed: string[] = [];
  for (const arg of leaf.field.args) {
    if (arg.name !== leaf.arg && !(isNonNullType(arg.type) && arg.defaultValue === undefined)) continue;
    variables[arg.name] = arg.name === leaf.arg ? withText(arg.type, leaf.path, text) : placeholder(arg.type);
    declared.push(`$${arg.name}: ${String(arg.type)}`);
    passed.push(`${arg.name}: $${arg.name}`);
  }
  const selection = isLeafType(getNamedType(leaf.field.type)) ? '' : ' { __typename }';
  const query = `${leaf.root} TextFuzz(${declared.join(', ')}) { ${leaf.field.name}(${passed.join(', ')})${selection} }`;
  return { query, variables };
}

let app: TestApp;
let caller: TestPrincipal;
let leaves: Leaf[];

beforeAll(async () => {
  app = await startTestApp();
  const [{ id: police }] = await app.db.query<{ id: string }[]>(`SELECT id FROM agencies WHERE kind = 'POLICE' ORDER BY name LIMIT 1`);
  // Every police role: most operations get past their permission to the resolver and its checks.
  caller = await createPrincipal(app, police, [Role.REPORTER, Role.INVESTIGATOR, Role.ANALYST, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN]);
  const schema = await buildAppSchema();
  leaves = [];
  for (const [root, type] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      for (const arg of field.args) for (const path of textPaths(arg.type)) leaves.push({ root, field, arg: arg.name, path });
    }
  }
});

afterAll(() => app.close());

async function send(leaf: Leaf, text: string): Promise<{ status: number; events: number; requestId: string }> {
  const requestId = `text-${randomUUID()}`;
  const res = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${caller.token}`, 'x-request-id': requestId },
    body: JSON.stringify(operationFor(leaf, text)),
  });
  await res.text();
  const [{ n }] = await app.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM audit_events WHERE request_id = $1`, [requestId]);
  return { status: res.status, events: n, requestId };
}

const describeLeaf = (l: Leaf) => `${l.field.name}(${[l.arg, ...l.path].join('.')})`;

test('the schema has text arguments to try (the walk found them)', () => {
  expect(leaves.length).toBeGreaterThan(25);
});

test.each([
  ['a surrogate pair across the 500th unit', straddling(499)],
  ['a pair starting at the cut', straddling(500)],
  ['NUL', 'a\u0000b'],
  ['a lone high surrogate', 'a\uD83Db'],
  ['a lone low surrogate', '\uDE00'],
])('%s in every String and ID argument: no 5xx, the event is written', async (_name, text) => {
  const failures: string[] = [];
  for (const leaf of leaves) {
    const r = await send(leaf, text);
    if (r.status >= 500 || r.events === 0) failures.push(`${describeLeaf(leaf)}: HTTP ${r.status}, ${r.events} events`);
  }
  expect(failures).toEqual([]);
});

test('property: any text in any String or ID argument never answers 5xx and always leaves its event', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: leaves.length - 1 }), fc.oneof(anyUtf16(), longText(500)), async (i, text) => {
      const r = await send(leaves[i], text);
      expect({ leaf: describeLeaf(leaves[i]), serverError: r.status >= 500, audited: r.events > 0 }).toEqual({
        leaf: describeLeaf(leaves[i]),
        serverError: false,
        audited: true,
      });
    }),
    { numRuns: 150 },
  );
});

test('a stored argument is cut by code point: the pair is kept whole or left out, never halved', async () => {
  const leaf = leaves.find((l) => l.field.name === 'searchIntelligence' && l.arg === 'text');
  expect(leaf).toBeDefined();
  const r = await send(leaf!, straddling(499));
  const [{ text }] = await app.db.query<{ text: string }[]>(
    `SELECT details->'arguments'->>'text' AS text FROM audit_events WHERE request_id = $1`,
    [r.requestId],
  );
  expect(text).toBe(`${'a'.repeat(499)}😀…`);
});
