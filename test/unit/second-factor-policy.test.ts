import { AgencyKind } from '../../src/agencies/agency-kind';
import type { Principal } from '../../src/auth/principal';
import { loadConfig, TOTP_REQUIRED_ROLES_PRODUCTION } from '../../src/config';
import { Permission } from '../../src/policy/permissions';
import { Role } from '../../src/policy/roles';
import { mustEnrolSecondFactor, secondFactorRefusal } from '../../src/policy/second-factor';

const person = (roles: Role[], secondFactor?: boolean): Principal => ({
  kind: 'USER',
  id: 'u',
  displayName: 'u',
  agency: { id: 'a', name: 'a', kind: AgencyKind.POLICE },
  roles,
  scopes: [],
  secondFactor,
  sessionId: 's',
  tokenId: 't',
});

describe('who must enrol a second factor', () => {
  const required = ['ANALYST', 'AUDITOR'];

  it('a person holding a listed role without an active second factor', () => {
    expect(mustEnrolSecondFactor(person([Role.ANALYST]), required)).toBe(true);
    expect(mustEnrolSecondFactor(person([Role.ANALYST], false), required)).toBe(true);
    expect(mustEnrolSecondFactor(person([Role.ANALYST], true), required)).toBe(false);
    expect(mustEnrolSecondFactor(person([Role.INVESTIGATOR]), required)).toBe(false);
    expect(mustEnrolSecondFactor(person([Role.ANALYST]), [])).toBe(false);
    expect(mustEnrolSecondFactor({ ...person([]), kind: 'SERVICE' }, required)).toBe(false);
  });

  it('may until then only sign in, see themselves and manage their own account (where enrolling is)', () => {
    const p = person([Role.ANALYST]);
    const allowed = Object.values(Permission).filter((permission) => !secondFactorRefusal(permission, p, required));
    expect(allowed.sort()).toEqual([Permission.MANAGE_OWN_ACCOUNT, Permission.SIGNED_IN, Permission.SIGN_IN].sort());
    expect(secondFactorRefusal(Permission.READ_INTELLIGENCE, p, required)?.details).toEqual({ reason: 'SECOND_FACTOR_REQUIRED' });
    expect(secondFactorRefusal(Permission.READ_INTELLIGENCE, person([Role.ANALYST], true), required)).toBeNull();
  });
});

describe('TOTP_REQUIRED_ROLES', () => {
  const db = { DATABASE_URL: 'postgres://x@localhost/y', JWT_SECRET: 'x'.repeat(32) };

  it('defaults to the police case roles and AUDITOR in production on its own database', () => {
    expect(TOTP_REQUIRED_ROLES_PRODUCTION).toEqual(['INVESTIGATOR', 'ANALYST', 'SUPERVISOR', 'AUDITOR']);
    expect(loadConfig({ ...db, NODE_ENV: 'production' }).accounts.totpRequiredRoles).toEqual(TOTP_REQUIRED_ROLES_PRODUCTION);
    expect(loadConfig({ ...db }).accounts.totpRequiredRoles).toEqual(TOTP_REQUIRED_ROLES_PRODUCTION);
  });

  it('requires nobody by default for the demo (embedded, or SEED_DEMO), development and tests', () => {
    expect(loadConfig({}).accounts.totpRequiredRoles).toEqual([]);
    expect(loadConfig({ ...db, SEED_DEMO: 'true' }).accounts.totpRequiredRoles).toEqual([]);
    expect(loadConfig({ ...db, NODE_ENV: 'development' }).accounts.totpRequiredRoles).toEqual([]);
    expect(loadConfig({ ...db, NODE_ENV: 'test' }).accounts.totpRequiredRoles).toEqual([]);
  });

  it('takes a list, or none, and refuses what is not a role', () => {
    expect(loadConfig({ ...db, TOTP_REQUIRED_ROLES: 'analyst, Auditor,ANALYST' }).accounts.totpRequiredRoles).toEqual([
      'ANALYST',
      'AUDITOR',
    ]);
    expect(loadConfig({ ...db, NODE_ENV: 'production', TOTP_REQUIRED_ROLES: 'none' }).accounts.totpRequiredRoles).toEqual([]);
    expect(() => loadConfig({ ...db, TOTP_REQUIRED_ROLES: 'ANALYST,WIZARD' })).toThrow(/WIZARD is not a role/);
  });

  it('TOTP_ENCRYPTION_KEY: 32 bytes, in hex or base64', () => {
    expect(loadConfig({ ...db }).accounts.totpEncryptionKey).toBeUndefined();
    expect(loadConfig({ ...db, TOTP_ENCRYPTION_KEY: 'ab'.repeat(32) }).accounts.totpEncryptionKey).toHaveLength(32);
    expect(loadConfig({ ...db, TOTP_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') }).accounts.totpEncryptionKey).toHaveLength(32);
    expect(() => loadConfig({ ...db, TOTP_ENCRYPTION_KEY: 'too-short' })).toThrow(/TOTP_ENCRYPTION_KEY/);
  });
});
