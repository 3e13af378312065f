// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

const SQL_HOME = "SQL is written in the domain's *.queries.ts (its repository), the read scopes in policy/, or db/ (docs/architecture.md).";

// A later block's rule replaces an earlier one's for the files both match: the use cases' block repeats this.
const SQL_BUILDERS = { group: ['**/db/sql'], importNames: ['sql', 'raw', 'run', 'join', 'and'], message: SQL_HOME };

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.data/', '*.config.js', 'eslint.config.mjs', '.dependency-cruiser.cjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // type-graphql and TypeORM rely on class types as values (decorator metadata).
      '@typescript-eslint/consistent-type-imports': 'off',
      '@typescript-eslint/no-unsafe-function-type': 'off',
    },
  },
  {
    // SQL is written in one place per domain, its repository (*.queries.ts); the read scopes in policy/;
    // the mechanics (paging, transactions, row security) in db/. docs/architecture.md, "Layers".
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.queries.ts', 'src/policy/**', 'src/db/**', 'src/context/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "TaggedTemplateExpression[tag.name='sql']", message: SQL_HOME },
        { selector: "CallExpression[callee.name='raw']", message: SQL_HOME },
        { selector: 'CallExpression[callee.property.name=/^(query|createQueryBuilder|getRepository)$/]', message: SQL_HOME },
        {
          selector: "CallExpression[callee.property.name='transaction']",
          message: 'A step that must be atomic runs in inTransaction(ctx, …) (context/request-context.ts), so no tx travels beside ctx.',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [SQL_BUILDERS],
        },
      ],
    },
  },
  {
    // Use cases and resolvers take a RequestContext; TypeORM is the repositories' and db/'s.
    files: ['src/**/*.service.ts', 'src/**/*.resolver.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            SQL_BUILDERS,
            { group: ['typeorm'], message: 'Only repositories, entities and db/ speak to TypeORM; use cases take a RequestContext.' },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read raw JSON and SQL rows; asserting on their shape is the point.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Benchmarks and the cluster scripts are plain Node scripts (run as they are, not compiled): lint without type information.
    files: ['bench/**/*.mjs', 'cluster/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        process: 'readonly',
        console: 'readonly',
        fetch: 'readonly',
        URL: 'readonly',
        AbortSignal: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
  },
);
