import { expect } from '@jest/globals';
import type { GqlResult, TestApp } from '../support/test-app';
import { expectCleanRefusal, rowCounts } from './support';

/** Sessions and refresh tokens, with how many are revoked or spent: what a token attack could change. */
export async function authState(app: TestApp): Promise<Record<string, number>> {
  const [row] = (await app.ownerQuery(
    `SELECT (SELECT count(*)::int FROM auth_sessions) AS sessions,
            (SELECT count(*)::int FROM auth_sessions WHERE revoked_at IS NOT NULL) AS revoked_sessions,
            (SELECT count(*)::int FROM refresh_tokens) AS refresh_tokens,
            (SELECT count(*)::int FROM refresh_tokens WHERE used_at IS NOT NULL) AS used_refresh_tokens`,
  )) as Record<string, number>[];
  return { ...row, ...(await rowCounts(app)) };
}

/** Runs an attack and checks it was refused cleanly with `code` and changed neither sessions nor case data. */
export async function expectHarmless(app: TestApp, attack: () => Promise<GqlResult>, code: string | RegExp): Promise<GqlResult> {
  const before = await authState(app);
  const r = await attack();
  expectCleanRefusal(r, code);
  expect(r.body.data ?? null).toBeNull();
  expect(await authState(app)).toEqual(before);
  return r;
}
