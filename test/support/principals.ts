import type { AgencyKind } from '../../src/agencies/agency-kind';
import type { Role } from '../../src/policy/roles';
import type { TestApp } from './test-app';

/** A principal made for a test: its id and a valid access token (a real session, no sign-in needed). */
export interface TestPrincipal {
  id: string;
  agencyId: string;
  token: string;
}

let counter = 0;

/** Creates an agency of `kind` as the database owner. */
export async function createAgency(app: TestApp, kind: AgencyKind, name: string): Promise<string> {
  const [row] = await app.db.query<{ id: string }[]>(`INSERT INTO agencies (name, kind) VALUES ($1, $2) RETURNING id`, [name, kind]);
  return row.id;
}

/** A user with `roles`, or a partner app with both service scopes when `roles` is 'SERVICE', with a live session. */
export async function createPrincipal(app: TestApp, agencyId: string, roles: Role[] | 'SERVICE'): Promise<TestPrincipal> {
  const n = ++counter;
  const tag = `${process.pid}-${n}-${Math.random().toString(36).slice(2, 8)}`;
  let id: string;
  if (roles === 'SERVICE') {
    [{ id }] = await app.db.query<{ id: string }[]>(
      `INSERT INTO service_accounts (agency_id, client_id, name, secret_hash, scopes)
       VALUES ($1, $2, 'Test app', 'x', '{SUBMIT_INTELLIGENCE,READ_OWN_SUBMISSIONS}'::service_scope[]) RETURNING id`,
      [agencyId, `app-${tag}`],
    );
  } else {
    [{ id }] = await app.db.query<{ id: string }[]>(
      `INSERT INTO users (agency_id, email, display_name, password_hash, roles) VALUES ($1, $2, 'Test user', 'x', $3::role[]) RETURNING id`,
      [agencyId, `user-${tag}@policy.example`, roles],
    );
  }
  const service = roles === 'SERVICE';
  const [{ id: sid }] = await app.db.query<{ id: string }[]>(
    `INSERT INTO auth_sessions (user_id, service_account_id) VALUES ($1, $2) RETURNING id`,
    service ? [null, id] : [id, null],
  );
  const { token } = app.tokens.issue('access', {
    sub: id,
    sid,
    pk: service ? 'SERVICE' : 'USER',
    agency: agencyId,
    roles: service ? [] : roles,
  });
  return { id, agencyId, token };
}
