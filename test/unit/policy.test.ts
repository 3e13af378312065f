import { AgencyKind } from '../../src/agencies/agency-kind';
import type { Principal } from '../../src/auth/principal';
import { decide, Permission } from '../../src/policy/permissions';
import { Role, rolesInvalidFor } from '../../src/policy/roles';

const user = (kind: AgencyKind, roles: Role[]): Principal => ({
  kind: 'USER',
  id: 'u',
  displayName: 'u',
  agency: { id: 'a', name: 'a', kind },
  roles,
  scopes: [],
  sessionId: 's',
  tokenId: 't',
});

describe('decide', () => {
  it('needs a principal for everything but signing in', () => {
    expect(decide(Permission.SIGN_IN, null)).toBe('ALLOW');
    for (const p of [Permission.SIGNED_IN, Permission.MANAGE_USERS, Permission.MANAGE_AGENCIES])
      expect(decide(p, null)).toBe('UNAUTHENTICATED');
  });

  it('lets only OVERSIGHT admins manage agencies', () => {
    expect(decide(Permission.MANAGE_AGENCIES, user(AgencyKind.OVERSIGHT, [Role.ADMIN]))).toBe('ALLOW');
    expect(decide(Permission.MANAGE_AGENCIES, user(AgencyKind.POLICE, [Role.ADMIN]))).toBe('FORBIDDEN');
    expect(decide(Permission.MANAGE_AGENCIES, user(AgencyKind.OVERSIGHT, [Role.AUDITOR]))).toBe('FORBIDDEN');
  });

  it('never lets a service account manage users, whatever it claims', () => {
    const service: Principal = { ...user(AgencyKind.VOLUNTARY, [Role.ADMIN]), kind: 'SERVICE' };
    expect(decide(Permission.MANAGE_USERS, service)).toBe('FORBIDDEN');
  });

  it('denies a permission it has no rule for', () => {
    expect(decide('INVENTED' as Permission, user(AgencyKind.OVERSIGHT, [Role.ADMIN]))).toBe('FORBIDDEN');
  });
});

describe('rolesInvalidFor', () => {
  it('follows the "valid in" column of the role table', () => {
    expect(rolesInvalidFor(AgencyKind.POLICE, [Role.INVESTIGATOR, Role.ANALYST, Role.SUPERVISOR, Role.REPORTER])).toEqual([]);
    expect(rolesInvalidFor(AgencyKind.HEALTH, [Role.PRACTITIONER, Role.INVESTIGATOR])).toEqual([Role.INVESTIGATOR]);
    expect(rolesInvalidFor(AgencyKind.VOLUNTARY, [Role.PRACTITIONER, Role.SAFEGUARDING_LEAD])).toEqual([Role.PRACTITIONER]);
    expect(rolesInvalidFor(AgencyKind.OVERSIGHT, [Role.REPORTER, Role.AUDITOR, Role.ADMIN])).toEqual([Role.REPORTER]);
  });
});
