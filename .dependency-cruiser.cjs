// The layers of src/ and what each may import (docs/architecture.md draws them). Run by `npm run lint`.
const BASE = '^src/(config|errors|logger|secret-file|periodic)\\.ts$';
const API = '^src/graphql/|\\.(resolver|loader|plugin)\\.ts$';
const USE_CASES = '\\.service\\.ts$';
const REPOSITORIES = '\\.queries\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle ties its files into one knot: none can be read, tested or moved alone.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'db-is-the-floor',
      severity: 'error',
      comment: 'db/ (SQL, paging, transactions) knows no domain: everything above may use it.',
      from: { path: '^src/db/' },
      to: { path: '^src/', pathNot: ['^src/db/', BASE, '\\.entity\\.ts$'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'context-is-neutral',
      severity: 'error',
      comment: 'The request context knows no GraphQL, policy, use cases or queries (they all take it).',
      from: { path: '^src/context/' },
      to: { path: [API, '^src/policy/', '^src/http/', USE_CASES, REPOSITORIES, '\\.types\\.ts$'] },
    },
    {
      name: 'policy-below-domains',
      severity: 'error',
      comment: 'policy/ decides who may see and do what; it imports nothing of the layers that ask it.',
      from: { path: '^src/policy/' },
      to: { path: [API, '^src/http/', USE_CASES, REPOSITORIES, '\\.types\\.ts$', '^src/(server|main|metrics)\\.ts$'] },
    },
    {
      name: 'repositories-below-use-cases',
      severity: 'error',
      comment: 'A *.queries.ts module (a repository) holds SQL only: it calls no use case and knows no GraphQL.',
      from: { path: REPOSITORIES },
      to: { path: [API, USE_CASES, '^src/http/', '^src/(server|main)\\.ts$'] },
    },
    {
      name: 'repositories-read-api-shapes-as-types',
      severity: 'error',
      comment: 'A repository may name the GraphQL view types it returns, never load their classes.',
      from: { path: REPOSITORIES },
      to: { path: '\\.types\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'use-cases-below-the-api',
      severity: 'error',
      comment: 'Use cases take a RequestContext and return plain values: GraphQL sits above them, not beside.',
      from: { path: '^src/', pathNot: [API, '^src/(server|main)\\.ts$', '^src/http/', '\\.types\\.ts$'] },
      to: { path: API },
    },
    {
      name: 'use-cases-read-api-shapes-as-types',
      severity: 'error',
      comment: 'A use case names the view and input types it takes and returns, never loads their classes.',
      from: { path: USE_CASES },
      to: { path: '\\.types\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'loaders-call-repositories',
      severity: 'error',
      comment: 'A loader batches a repository query; it never runs a use case.',
      from: { path: '\\.loader\\.ts$' },
      to: { path: USE_CASES },
    },
    {
      name: 'resolvers-call-use-cases',
      severity: 'error',
      comment: 'A resolver hands its arguments to a use case (which authorizes); it never queries itself.',
      from: { path: '\\.resolver\\.ts$' },
      to: { path: REPOSITORIES },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    includeOnly: '^src/',
  },
};
