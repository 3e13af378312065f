import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Authorized, Query, Resolver } from 'type-graphql';
import { AgencyKind } from '../../src/agencies/agency-kind';
import type { Principal } from '../../src/auth/principal';
import { buildAppSchema, operationPermissions, operationsWithoutPermission, printAppSchema } from '../../src/graphql/schema';
import { decide, Permission } from '../../src/policy/permissions';
import { Role, ROLE_AGENCY_KINDS } from '../../src/policy/roles';
import { ServiceScope } from '../../src/users/service-account.entity';

describe('schema.graphql', () => {
  it('is what the code generates (run `npm run schema` and commit it when this fails)', async () => {
    const committed = readFileSync(path.join(__dirname, '../../schema.graphql'), 'utf8');
    expect(committed).toBe(printAppSchema(await buildAppSchema()));
  });

  it('contains the core of the contract in docs/api.md', async () => {
    const sdl = printAppSchema(await buildAppSchema());
    for (const op of ['me: Principal!', 'agencies: [Agency!]!', 'divisions: [Division!]!']) expect(sdl).toContain(op);
    for (const op of ['login(', 'refreshToken(', 'logout: Boolean!', 'serviceToken(', 'createAgency(', 'createUser(', 'disableUser(']) {
      expect(sdl).toContain(op);
    }
  });
});

describe('permissions', () => {
  it('every query and mutation declares one', () => {
    expect(operationsWithoutPermission()).toEqual([]);
  });

  it('the check catches an operation that declares none', () => {
    @Resolver()
    class CarelessResolver {
      @Query(() => String)
      leaky() {
        return 'secret';
      }

      @Authorized(Permission.SIGNED_IN)
      @Query(() => String)
      careful() {
        return 'ok';
      }
    }
    expect(operationsWithoutPermission([CarelessResolver])).toEqual(['leaky']);
  });

  /**
   * Who can reach every operation, for one-role users of every valid (agency kind, role) pair, a
   * partner app and an anonymous caller. A diff in this snapshot changes who can reach an
   * operation: review it as a permission change.
   */
  it('snapshot: who can reach each operation', () => {
    const principals: [string, Principal | null][] = [['anonymous', null]];
    for (const kind of Object.values(AgencyKind)) {
      for (const role of Object.values(Role).filter((r) => ROLE_AGENCY_KINDS[r].includes(kind))) {
        principals.push([`${kind}/${role}`, principalOf('USER', kind, [role], [])]);
      }
      if (kind !== AgencyKind.OVERSIGHT) {
        principals.push([`${kind}/service-account`, principalOf('SERVICE', kind, [], Object.values(ServiceScope))]);
      }
    }
    const reach = Object.fromEntries(
      Object.entries(operationPermissions())
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([op, [permission]]) => [
          op,
          `${permission}: ${principals
            .filter(([, p]) => decide(permission as Permission, p) === 'ALLOW')
            .map(([name]) => name)
            .join(', ')}`,
        ]),
    );
    expect(reach).toMatchSnapshot();
  });
});

function principalOf(kind: 'USER' | 'SERVICE', agencyKind: AgencyKind, roles: Role[], scopes: ServiceScope[]): Principal {
  return {
    kind,
    id: 'id',
    displayName: 'x',
    agency: { id: 'a', name: 'a', kind: agencyKind },
    roles,
    scopes,
    sessionId: 's',
    tokenId: 't',
  };
}
