import fc from 'fast-check';
import { AgencyKind } from '../../src/agencies/agency-kind';
import type { Principal } from '../../src/auth/principal';
import { GrantKind, GrantStatus } from '../../src/grants/grant.enums';
import { type GrantFacts, grantDecisionRefusal, PRIVILEGED_ROLES, splitRoles } from '../../src/policy/grants';
import { Role } from '../../src/policy/roles';
import { ServiceScope } from '../../src/users/service-account.entity';

/** Few ids, so that requester, decider, user and agencies often coincide: the cases that matter. */
const personId = fc.constantFrom('p1', 'p2', 'p3');
const agencyId = fc.constantFrom('a1', 'a2', 'a3');

const principal = fc.record({
  kind: fc.constantFrom('USER' as const, 'SERVICE' as const),
  id: personId,
  agencyId,
  agencyKind: fc.constantFrom(...Object.values(AgencyKind)),
  roles: fc.subarray(Object.values(Role)),
});
const toPrincipal = (p: typeof principal extends fc.Arbitrary<infer T> ? T : never): Principal => ({
  kind: p.kind,
  id: p.id,
  displayName: 'x',
  agency: { id: p.agencyId, name: 'x', kind: p.agencyKind },
  roles: p.kind === 'USER' ? p.roles : [],
  scopes: p.kind === 'SERVICE' ? [ServiceScope.SUBMIT_INTELLIGENCE] : [],
  sessionId: 's',
  tokenId: 't',
});

const facts: fc.Arbitrary<GrantFacts> = fc.record({
  kind: fc.constantFrom(...Object.values(GrantKind)),
  status: fc.constantFrom(...Object.values(GrantStatus)),
  agencyId,
  userId: fc.option(personId, { nil: null }),
  requestedById: personId,
  requesterAgencyId: agencyId,
  deciderHasPendingGrant: fc.boolean(),
  lineageRelated: fc.boolean(),
});

const allows = (p: Principal, g: GrantFacts) => grantDecisionRefusal(p, g) === null;

describe('grantDecisionRefusal', () => {
  it('never lets anyone decide a decided grant, their own request or roles, while their own grant is pending, or across a lineage', () => {
    fc.assert(
      fc.property(principal, facts, (raw, g) => {
        const p = toPrincipal(raw);
        const own = g.requestedById === p.id || g.userId === p.id;
        if (g.status !== GrantStatus.PENDING || own || g.deciderHasPendingGrant || g.lineageRelated) return !allows(p, g);
        return true;
      }),
      { numRuns: 5000 },
    );
  });

  it('lets only users holding ADMIN decide, and only OVERSIGHT admins decide admissions and first admins', () => {
    fc.assert(
      fc.property(principal, facts, (raw, g) => {
        const p = toPrincipal(raw);
        if (!allows(p, g)) return true;
        const admin = p.kind === 'USER' && p.roles.includes(Role.ADMIN);
        const oversight = p.agency.kind === AgencyKind.OVERSIGHT;
        const bootstrap = g.kind === GrantKind.AGENCY || g.requesterAgencyId !== g.agencyId;
        const ownAgency = g.agencyId === p.agency.id;
        return admin && (oversight || (!bootstrap && ownAgency));
      }),
      { numRuns: 5000 },
    );
  });

  it('lets a second, unrelated admin of the right agency decide (the rule is not merely deny-all)', () => {
    fc.assert(
      fc.property(principal, facts, (raw, g) => {
        const p = toPrincipal({ ...raw, kind: 'USER', roles: [...new Set([...raw.roles, Role.ADMIN])] });
        const clean =
          g.status === GrantStatus.PENDING &&
          g.requestedById !== p.id &&
          g.userId !== p.id &&
          !g.deciderHasPendingGrant &&
          !g.lineageRelated;
        const sameAgencyRoles = g.kind === GrantKind.ROLES && g.agencyId === p.agency.id && g.requesterAgencyId === p.agency.id;
        if (clean && (p.agency.kind === AgencyKind.OVERSIGHT || sameAgencyRoles)) return allows(p, g);
        return true;
      }),
      { numRuns: 5000 },
    );
  });
});

describe('splitRoles', () => {
  it('puts exactly the privileged roles on hold, and loses none', () => {
    fc.assert(
      fc.property(fc.subarray(Object.values(Role)), (roles) => {
        const { inForce, pending } = splitRoles(roles);
        return (
          pending.every((r) => PRIVILEGED_ROLES.includes(r)) &&
          inForce.every((r) => !PRIVILEGED_ROLES.includes(r)) &&
          [...inForce, ...pending].sort().join() === [...roles].sort().join()
        );
      }),
    );
    expect([...PRIVILEGED_ROLES].sort()).toEqual([Role.ADMIN, Role.ANALYST, Role.AUDITOR, Role.INVESTIGATOR, Role.SUPERVISOR]);
  });
});
