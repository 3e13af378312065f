import { codes, type GqlResult, type TestApp } from './test-app';

export interface PendingGrant {
  id: string;
  kind: 'AGENCY' | 'ROLES';
  status: string;
  userId: string | null;
  roles: string[];
  requestedById: string;
  canDecide: boolean;
  agency: { id: string; status: string } | null;
}

const PENDING_GRANTS = `query($after: String) { pendingGrants(first: 100, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id kind status userId roles requestedById canDecide agency { id status } } } } }`;
type PendingPage = { pendingGrants: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: PendingGrant }[] } };
const APPROVE = 'mutation($id: ID!) { approveGrant(id: $id) { id status decidedById } }';

/** Every pending grant `token`'s administrator sees, across pages. */
export async function pendingGrants(app: TestApp, token: string): Promise<PendingGrant[]> {
  const all: PendingGrant[] = [];
  let after: string | null = null;
  for (;;) {
    const r: GqlResult<PendingPage> = await app.gql<PendingPage>(PENDING_GRANTS, { after }, token);
    if (codes(r).length) throw new Error(`pendingGrants failed: ${JSON.stringify(r.body.errors)}`);
    all.push(...r.body.data!.pendingGrants.edges.map((e) => e.node));
    if (!r.body.data!.pendingGrants.pageInfo.hasNextPage) return all;
    after = r.body.data!.pendingGrants.pageInfo.endCursor;
  }
}

/** Approves, as `token`'s administrator, the pending grants of `agencyId` (its admission and its users' roles). */
export async function approveAgencyGrants(app: TestApp, token: string, agencyId: string): Promise<void> {
  const grants = (await pendingGrants(app, token)).filter((g) => g.agency?.id === agencyId);
  // The admission first, so the order of the rest does not matter.
  grants.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'AGENCY' ? -1 : 1));
  for (const g of grants) {
    const r = await app.gql(APPROVE, { id: g.id }, token);
    if (codes(r).length) throw new Error(`approveGrant failed: ${JSON.stringify(r.body.errors)}`);
  }
}
