import { ApiError, request } from './api';

/**
 * The signed-in session. Tokens live in this object only — never localStorage, sessionStorage or a
 * cookie — so a script injected into another page of the origin, or someone at the machine later,
 * finds nothing stored; a reload therefore means signing in again. The access token is refreshed a
 * minute before it expires (refresh tokens are single use: each refresh returns a new one).
 */
export interface Me {
  id: string;
  displayName: string;
  roles: string[];
  agency: { id: string; name: string; kind: string };
}

interface Tokens {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: string;
}

/** What `login` answers: tokens, or (an account with a TOTP second factor) a challenge for completeSecondFactor. */
interface SignInStep {
  accessToken: string | null;
  refreshToken: string | null;
  expiresAt: string | null;
  secondFactor: { challenge: string } | null;
}

/** The second step of a sign-in: the challenge waiting for a code from the authenticator app (or a recovery code). */
export interface SecondFactorStep {
  challenge: string;
}

const AUTH_FIELDS = 'accessToken refreshToken expiresAt';
const REFRESH_EARLY_MS = 60_000;

export class Session {
  private tokens: Tokens;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<void> | undefined;

  private constructor(
    tokens: Tokens,
    readonly me: Me,
    private readonly onEnd: (reason?: string) => void,
  ) {
    this.tokens = tokens;
    this.schedule();
  }

  static async signIn(email: string, password: string, onEnd: (reason?: string) => void): Promise<Session | SecondFactorStep> {
    const { login } = await request<{ login: SignInStep }>(
      `mutation SignIn($email: String!, $password: String!) { login(email: $email, password: $password) { ${AUTH_FIELDS} secondFactor { challenge } } }`,
      { email, password },
    );
    if (login.secondFactor) return { challenge: login.secondFactor.challenge };
    return Session.open(login as Tokens, onEnd);
  }

  /** Finishes a sign-in with a second factor: six digits go as the TOTP code, anything else as a recovery code. */
  static async completeSecondFactor(step: SecondFactorStep, code: string, onEnd: (reason?: string) => void): Promise<Session> {
    const digits = code.replace(/\s+/g, '');
    const proof = /^\d{6}$/.test(digits) ? { code: digits, recoveryCode: null } : { code: null, recoveryCode: code.trim() };
    const { completeSecondFactor } = await request<{ completeSecondFactor: Tokens }>(
      `mutation SecondFactor($challenge: String!, $code: String, $recoveryCode: String) { completeSecondFactor(challenge: $challenge, code: $code, recoveryCode: $recoveryCode) { ${AUTH_FIELDS} } }`,
      { challenge: step.challenge, ...proof },
    );
    return Session.open(completeSecondFactor, onEnd);
  }

  private static async open(tokens: Tokens, onEnd: (reason?: string) => void): Promise<Session> {
    const { me } = await request<{ me: Me }>('query Me { me { id displayName roles agency { id name kind } } }', {}, tokens.accessToken);
    return new Session(tokens, me, onEnd);
  }

  get isAuditor(): boolean {
    return this.me.roles.includes('AUDITOR');
  }

  get isPoliceAnalyst(): boolean {
    return this.me.agency.kind === 'POLICE' && (this.me.roles.includes('ANALYST') || this.me.roles.includes('SUPERVISOR'));
  }

  /** The bearer token for GET /audit/export (fetch with an Authorization header, never a URL). */
  get accessToken(): string {
    return this.tokens.accessToken;
  }

  /** A GraphQL request as the signed-in person; one refresh and retry when the token was refused. */
  async query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    try {
      return await request<T>(query, variables, this.tokens.accessToken);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'UNAUTHENTICATED' || !this.tokens.refreshToken) throw error;
      await this.refresh();
      return request<T>(query, variables, this.tokens.accessToken);
    }
  }

  async signOut(): Promise<void> {
    try {
      await request('mutation SignOut { logout }', {}, this.tokens.accessToken);
    } catch {
      // Signed out here whatever the service answered: the tokens are forgotten below.
    }
    this.end();
  }

  private end(reason?: string): void {
    clearTimeout(this.timer);
    this.tokens = { accessToken: '', refreshToken: null, expiresAt: new Date(0).toISOString() };
    this.onEnd(reason);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.tokens.refreshToken) return;
    const due = Math.max(5_000, new Date(this.tokens.expiresAt).getTime() - Date.now() - REFRESH_EARLY_MS);
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), due);
  }

  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const { refreshToken } = await request<{ refreshToken: Tokens }>(
          `mutation Refresh($token: String!) { refreshToken(refreshToken: $token) { ${AUTH_FIELDS} } }`,
          { token: this.tokens.refreshToken },
        );
        this.tokens = refreshToken;
        this.schedule();
      } catch (error) {
        this.end(error instanceof ApiError ? error.message : undefined);
        throw error;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
