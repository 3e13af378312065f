// A GraphQL client for the cluster's tests: every outcome classified as the load balancer's
// clients must treat it (ok, retryable, or a real error).

export const DEMO_PASSWORD = 'safeshare-demo';

/**
 * One POST /graphql. Returns { kind, status, body, code }: `ok` (HTTP 200, no errors), `retryable`
 * (the connection refused or reset, or 502/503/504: the request may not have run, or did and its
 * answer was lost), `error` (anything else: a GraphQL error, a 4xx/500).
 */
export async function gql(baseUrl, query, variables = {}, token, timeoutMs = 10_000) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const code = error.cause?.code ?? error.name;
    return { kind: 'retryable', status: 0, code, body: null };
  }
  if ([502, 503, 504].includes(res.status)) return { kind: 'retryable', status: res.status, code: `HTTP ${res.status}`, body: null };
  let body;
  try {
    body = await res.json();
  } catch (error) {
    // The connection was reset while the body was read.
    return { kind: 'retryable', status: res.status, code: error.cause?.code ?? 'body lost', body: null };
  }
  if (res.status !== 200 || body.errors?.length) {
    return { kind: 'error', status: res.status, code: body.errors?.[0]?.extensions?.code ?? `HTTP ${res.status}`, body };
  }
  return { kind: 'ok', status: 200, body };
}

/** Signs a demo account in (retrying what is retryable) and returns its access token. */
export async function login(baseUrl, email) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const r = await gql(baseUrl, 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', {
      e: email,
      p: DEMO_PASSWORD,
    });
    if (r.kind === 'ok') return r.body.data.login.accessToken;
    if (r.kind === 'error') throw new Error(`login ${email}: ${JSON.stringify(r.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`login ${email}: no answer`);
}

export const QUERIES = {
  search: '{ searchIntelligence(text: "report", first: 10) { edges { node { id } } } }',
  stats: '{ intelligenceStats(from: "2013-01-01T00:00:00Z", to: "2022-12-31T00:00:00Z", groupBy: [DIVISION]) { total } }',
  list: '{ intelligenceReports(first: 10) { edges { node { id } } } }',
  submit: 'mutation($i: SubmitIntelligenceInput!) { submitIntelligence(input: $i) { id } }',
};

/** Percentile of sorted numbers. */
export const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
