import { expect } from '@jest/globals';
import type { GqlResult, TestApp } from '../support/test-app';

/** Tables whose row counts an attack must leave as they were (the audit trail may grow). */
const CASE_TABLES = [
  'agencies',
  'users',
  'service_accounts',
  'intelligence_reports',
  'informants',
  'subjects',
  'report_subjects',
  'flags',
  'crimes',
  'crime_subjects',
  'record_history',
];

export async function rowCounts(app: TestApp): Promise<Record<string, number>> {
  const rows = (await app.ownerQuery(`SELECT ${CASE_TABLES.map((t) => `(SELECT count(*)::int FROM ${t}) AS ${t}`).join(', ')}`)) as Record<
    string,
    number
  >[];
  return rows[0];
}

/** A refusal as the suite requires: the expected code, no 500, no stack trace or SQL in the body. */
export function expectCleanRefusal(r: Pick<GqlResult, 'status' | 'body'>, code: string | RegExp): void {
  expect(r.status).toBeLessThan(500);
  const text = JSON.stringify(r.body);
  expect(text).not.toMatch(/stacktrace|\bat [\w.]+ \(|node_modules|SELECT |INSERT |syntax error at or near/i);
  const codes = (r.body.errors ?? []).map((e) => e.extensions?.code);
  expect(codes.length).toBeGreaterThan(0);
  for (const c of codes) expect(c).toMatch(code);
}

/** POSTs raw bytes with any content type, for transport-level attacks. */
export async function post(app: TestApp, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  let parsed: GqlResult['body'] = {};
  try {
    parsed = JSON.parse(text) as GqlResult['body'];
  } catch {
    parsed = { errors: [{ message: text.slice(0, 200), extensions: { code: 'NOT_JSON' } }] };
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
