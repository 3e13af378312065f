import { buildSchema, graphql, type GraphQLResolveInfo } from 'graphql';
import { selectsPath } from '../../src/graphql/selection';

// A list whose nodes have a nested field, asked for in each way a client can write it.
const schema = buildSchema(`
  type Link { role: String }
  type Node { id: ID, subjects: [Link] }
  type Edge { node: Node }
  type Connection { edges: [Edge], totalCount: Int }
  type Query { list: Connection }
`);

async function reaches(document: string): Promise<boolean> {
  let seen: boolean | undefined;
  const result = await graphql({
    schema,
    source: document,
    rootValue: {
      list: (_args: unknown, _ctx: unknown, info: GraphQLResolveInfo) => {
        seen = selectsPath(info, ['edges', 'node', 'subjects']);
        return { edges: [], totalCount: 0 };
      },
    },
  });
  expect(result.errors).toBeUndefined();
  return seen!;
}

describe('selectsPath', () => {
  it.each([
    ['directly', '{ list { edges { node { subjects { role } } } } }', true],
    ['through a fragment', '{ list { edges { ...E } } } fragment E on Edge { node { subjects { role } } }', true],
    ['through an inline fragment', '{ list { edges { node { ... on Node { subjects { role } } } } } }', true],
    ['under an alias', '{ list { edges { node { links: subjects { role } } } } }', true],
    ['in the second of two merged selections', '{ list { totalCount } list { edges { node { subjects { role } } } } }', true],
    ['not at all', '{ list { edges { node { id } } totalCount } }', false],
    ['at another depth', '{ list { totalCount edges { node { id } } } }', false],
  ])('%s', async (_how, document, expected) => {
    expect(await reaches(document)).toBe(expected);
  });
});
