import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The layer rules of docs/architecture.md can fail: each dependency-cruiser rule refuses a small
 * tree that breaks it (and only that rule), the SQL-home lint refuses SQL in a use case, and the
 * real tree passes both. `npm run lint` runs the same rules over src/.
 */
const root = path.join(__dirname, '../..');
const bin = (name: string) => path.join(root, 'node_modules/.bin', name);

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function cruise(cwd: string): Violation[] {
  let out: string;
  try {
    out = execFileSync(bin('depcruise'), ['src', '--config', path.join(root, '.dependency-cruiser.cjs'), '--output-type', 'json'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    // depcruise exits non-zero when it finds violations; its report is still on stdout.
    out = (error as { stdout: string }).stdout;
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

/** A tree of files (path → source) in a fresh directory, with a tsconfig for the resolver. */
function treeOf(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeshare-layers-'));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true } }));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const value = (name: string) => `export const ${name} = 1;\n`;
const importing = (from: string, name: string, typeOnly = false) =>
  `import ${typeOnly ? 'type ' : ''}{ ${name} } from '${from}';\nexport const use = () => ${typeOnly ? '0' : name};\n`;

/** For each rule, a tree that breaks it once. */
const BREAKS: Record<string, Record<string, string>> = {
  'no-circular': { 'src/a.ts': importing('./b', 'b'), 'src/b.ts': `import { use } from './a';\nexport const b = use;\n` },
  'db-is-the-floor': { 'src/db/sql.ts': importing('../crimes/crime.queries', 'c'), 'src/crimes/crime.queries.ts': value('c') },
  'context-is-neutral': { 'src/context/request-context.ts': importing('../policy/records', 'p'), 'src/policy/records.ts': value('p') },
  'policy-below-domains': { 'src/policy/records.ts': importing('../crimes/crime.queries', 'c'), 'src/crimes/crime.queries.ts': value('c') },
  'repositories-below-use-cases': {
    'src/crimes/crime.queries.ts': importing('./crime.service', 's'),
    'src/crimes/crime.service.ts': value('s'),
  },
  'repositories-read-api-shapes-as-types': {
    'src/crimes/crime.queries.ts': importing('./crime.types', 'Crime'),
    'src/crimes/crime.types.ts': value('Crime'),
  },
  'use-cases-below-the-api': {
    'src/crimes/crime.service.ts': importing('../graphql/pagination', 'g'),
    'src/graphql/pagination.ts': value('g'),
  },
  'use-cases-read-api-shapes-as-types': {
    'src/crimes/crime.service.ts': importing('./crime.types', 'Crime'),
    'src/crimes/crime.types.ts': value('Crime'),
  },
  'loaders-call-repositories': {
    'src/crimes/crime.loader.ts': importing('./crime.service', 's'),
    'src/crimes/crime.service.ts': value('s'),
  },
  'resolvers-call-use-cases': {
    'src/crimes/crime.resolver.ts': importing('./crime.queries', 'q'),
    'src/crimes/crime.queries.ts': value('q'),
  },
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require(path.join(root, '.dependency-cruiser.cjs')) as { forbidden: { name: string }[] };

describe('dependency rules', () => {
  test('every rule of the config has a tree here that breaks it', () => {
    expect(Object.keys(BREAKS).sort()).toEqual(config.forbidden.map((r) => r.name).sort());
  });

  test.each(Object.keys(BREAKS))('%s refuses the import that breaks it, and nothing else', (rule) => {
    const found = cruise(treeOf(BREAKS[rule]));
    expect(found.map((v) => v.rule.name)).toEqual([rule]);
  });

  test('a type-only import of API shapes is allowed to repositories and use cases', () => {
    const found = cruise(
      treeOf({
        'src/crimes/crime.queries.ts': importing('./crime.types', 'Crime', true),
        'src/crimes/crime.service.ts': importing('./crime.types', 'Crime', true),
        'src/crimes/crime.types.ts': 'export interface Crime { id: string }\n',
      }),
    );
    expect(found).toEqual([]);
  });

  test('src/ keeps every rule', () => {
    expect(cruise(root)).toEqual([]);
  });
});

/** Lints source text as if it were the file at `file`, with the project's own ESLint config. */
function lintAs(cases: { file: string; text: string }[]): string[][] {
  const script = `
    import { ESLint } from 'eslint';
    const eslint = new ESLint({ cwd: process.cwd() });
    const cases = JSON.parse(process.argv[1]);
    const out = [];
    for (const c of cases) {
      const [result] = await eslint.lintText(c.text, { filePath: c.file });
      out.push(result.messages.filter((m) => m.ruleId?.startsWith('no-restricted')).map((m) => m.message));
    }
    console.log(JSON.stringify(out));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(cases)], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out) as string[][];
}

describe('SQL has one home per domain', () => {
  const QUERY = "import { run, sql, type Queryable } from '../db/sql';\nexport const one = (db: Queryable) => run(db, sql`SELECT 1`);\n";
  const RAW_QUERY = "import type { Queryable } from '../db/sql';\nexport const one = (db: Queryable) => db.query('SELECT 1');\n";
  const TRANSACTION =
    "import type { EntityManager } from 'typeorm';\nexport const step = (db: EntityManager) => db.transaction(async () => 1);\n";

  test('SQL, raw queries, TypeORM and transactions are refused in a use case, and SQL is welcome in a repository', () => {
    const [inService, rawInService, txInService, inLoader, inRepository] = lintAs([
      { file: path.join(root, 'src/crimes/crime.service.ts'), text: QUERY },
      { file: path.join(root, 'src/crimes/crime.service.ts'), text: RAW_QUERY },
      { file: path.join(root, 'src/crimes/crime.service.ts'), text: TRANSACTION },
      { file: path.join(root, 'src/crimes/crime.loader.ts'), text: QUERY },
      { file: path.join(root, 'src/crimes/crime.queries.ts'), text: QUERY },
    ]);
    expect(inService.join('\n')).toMatch(/SQL is written in the domain's \*\.queries\.ts/);
    expect(rawInService.join('\n')).toMatch(/SQL is written in the domain's \*\.queries\.ts/);
    expect(txInService.join('\n')).toMatch(/inTransaction/);
    expect(txInService.join('\n')).toMatch(/TypeORM/);
    expect(inLoader.join('\n')).toMatch(/SQL is written in the domain's \*\.queries\.ts/);
    expect(inRepository).toEqual([]);
  }, 60_000);
});
