/**
 * The console's one GraphQL client: POST /graphql with the session's bearer token. Errors come back
 * as ApiError with the service's stable `extensions.code` and words a person can act on.
 */
export const GRAPHQL_PATH = '/graphql';

const WORDS: Record<string, string> = {
  UNAUTHENTICATED: 'Your session has ended. Please sign in again.',
  FORBIDDEN: 'Your role does not allow this.',
  NOT_FOUND: 'Nothing found, or it is outside what you may see.',
  BAD_USER_INPUT: 'Please check what you entered.',
  CONFLICT: 'This has already been done.',
  RATE_LIMITED: 'Too many requests. Please wait a moment and try again.',
  QUERY_TOO_COMPLEX: 'That request is too large. Please narrow it.',
  GRAPHQL_VALIDATION_FAILED: 'This service does not offer this yet.',
  INTERNAL_SERVER_ERROR: 'The service failed. Please try again; if it keeps failing, tell the service desk.',
  NETWORK: 'The service could not be reached. Check your connection and try again.',
};

export function wordsFor(code: string): string {
  return WORDS[code] ?? 'Something went wrong. Please try again.';
}

export class ApiError extends Error {
  constructor(
    readonly code: string,
    /** The service's own message, shown beside the words for BAD_USER_INPUT (it names the field). */
    readonly detail?: string,
  ) {
    super(wordsFor(code));
  }

  /** The words to show: the service's detail only where it helps the person correct their input. */
  get shown(): string {
    return this.code === 'BAD_USER_INPUT' && this.detail ? `${this.message} ${this.detail}` : this.message;
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** One request; `token` is the access token (none for sign-in). */
export async function request<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw new ApiError('NETWORK');
  }
  let body: GraphQLResponse<T>;
  try {
    body = (await response.json()) as GraphQLResponse<T>;
  } catch {
    throw new ApiError(response.status === 401 ? 'UNAUTHENTICATED' : 'INTERNAL_SERVER_ERROR');
  }
  const error = body.errors?.[0];
  if (error) throw new ApiError(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR', error.message);
  if (!body.data) throw new ApiError('INTERNAL_SERVER_ERROR');
  return body.data;
}

const MISSING = /Cannot query field|Unknown argument|Unknown type|Unknown field|is not defined by type/;

/**
 * The schema does not have a field or argument the query names (a service without it yet): the
 * service answers validation failures as BAD_USER_INPUT, naming what it does not know.
 */
export const isMissingFromSchema = (error: unknown) =>
  error instanceof ApiError &&
  (error.code === 'GRAPHQL_VALIDATION_FAILED' || error.code === 'BAD_USER_INPUT') &&
  MISSING.test(error.detail ?? '');
