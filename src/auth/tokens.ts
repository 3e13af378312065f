import { createPublicKey, createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { JwtConfig } from '../config';
import { ExternalIssuers } from './external-issuers';
import type { KeyRing } from './keys';

/**
 * Headers that point at (or carry) a key. Safeshare never issues them and never follows them
 * (RFC 8725 section 3.10): a token of ours that carries one is forged, and is refused.
 */
const KEY_REFERENCE_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'];

export type TokenType = 'access' | 'refresh';

/** Far above the tokens in use in one process at once; past it the cache of verified tokens starts afresh. */
const MAX_VERIFIED_TOKENS = 5_000;
export type PrincipalKind = 'USER' | 'SERVICE';

/** The claims Safeshare puts in (and requires of) its tokens. */
export interface TokenClaims {
  iss: string;
  aud: string;
  sub: string;
  iat: number;
  exp: number;
  jti: string;
  typ: TokenType;
  /** The sign-in session; revoking it stops every token issued in it. */
  sid: string;
  pk: PrincipalKind;
  agency: string;
  roles: string[];
}

export interface IssuedToken {
  token: string;
  jti: string;
  expiresAt: Date;
}

export class TokenService {
  /** The agencies' own identity providers (TRUSTED_ISSUERS), whose tokens `exchangeToken` accepts. */
  readonly external: ExternalIssuers;

  private readonly keyObjects = new Map<string, KeyObject>();
  /**
   * Tokens that passed `verify`, by their exact text and type: a client sends the same access token
   * with every request, and checking its signature again cost a few percent of a list request. The
   * key ring is fixed for this service's life, so only the expiry can change the answer: it is
   * checked again on every hit.
   */
  private readonly verified = new Map<string, TokenClaims>();

  constructor(
    private readonly keys: KeyRing,
    private readonly settings: Pick<
      JwtConfig,
      'issuer' | 'audience' | 'clockSkewSeconds' | 'accessTtlSeconds' | 'refreshTtlSeconds' | 'trustedIssuers' | 'jwks'
    >,
  ) {
    this.external = new ExternalIssuers(settings);
  }

  /** Signs a token of the given type; the subject's agency and roles ride along for clients to read. */
  issue(typ: TokenType, subject: { sub: string; sid: string; pk: PrincipalKind; agency: string; roles: string[] }): IssuedToken {
    const ttl = typ === 'access' ? this.settings.accessTtlSeconds : this.settings.refreshTtlSeconds;
    const now = Math.floor(Date.now() / 1000);
    const jti = randomUUID();
    const claims: TokenClaims = {
      iss: this.settings.issuer,
      aud: this.settings.audience,
      iat: now,
      exp: now + ttl,
      jti,
      typ,
      ...subject,
    };
    const token = jwt.sign(claims, this.keys.signing.key, {
      algorithm: this.keys.signing.algorithm,
      keyid: this.keys.signing.kid,
      header: { alg: this.keys.signing.algorithm, typ: 'JWT' },
    });
    return { token, jti, expiresAt: new Date((now + ttl) * 1000) };
  }

  /**
   * Verifies signature, algorithm (only the key's own), `kid` (the signing key's, or a retired one
   * still listed), issuer, audience and expiry with a bounded clock skew, and that the token is of the
   * expected type; a token carrying a key reference header is refused. Returns null for any failure:
   * callers answer UNAUTHENTICATED without saying why.
   */
  verify(token: string, expected: TokenType): TokenClaims | null {
    const cacheKey = `${expected}:${token}`;
    const known = this.verified.get(cacheKey);
    if (known) {
      // As jsonwebtoken decides expiry: expired once now >= exp + tolerance.
      if (Date.now() / 1000 < known.exp + this.settings.clockSkewSeconds) return known;
      this.verified.delete(cacheKey);
      return null;
    }
    const claims = this.verifyAfresh(token, expected);
    if (claims) {
      if (this.verified.size >= MAX_VERIFIED_TOKENS) this.verified.clear();
      this.verified.set(cacheKey, claims);
    }
    return claims;
  }

  private verifyAfresh(token: string, expected: TokenType): TokenClaims | null {
    let header: jwt.JwtHeader;
    try {
      const decoded = jwt.decode(token, { complete: true });
      if (!decoded || typeof decoded.payload === 'string') return null;
      header = decoded.header;
    } catch {
      return null;
    }
    // Keys come only from our own key ring: no `jku`/`x5u`/`jwk`/`x5c` header is ever followed.
    if (KEY_REFERENCE_HEADERS.some((name) => name in header)) return null;
    const key = header.kid ? this.keys.verification.get(header.kid) : undefined;
    if (!key || !header.kid) return null;
    // Built once per key: jsonwebtoken would otherwise rebuild it from text on every request.
    let keyObject = this.keyObjects.get(header.kid);
    if (!keyObject) {
      keyObject = key.algorithm === 'HS256' ? createSecretKey(Buffer.from(key.key)) : createPublicKey(key.key);
      this.keyObjects.set(header.kid, keyObject);
    }
    let claims: jwt.JwtPayload;
    try {
      const verified = jwt.verify(token, keyObject, {
        algorithms: [key.algorithm],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: this.settings.clockSkewSeconds,
      });
      if (typeof verified === 'string') return null;
      claims = verified;
    } catch {
      return null;
    }
    // A token issued in the future is forged or from a badly skewed clock: refuse it either way.
    const issuedInFuture = typeof claims.iat === 'number' && claims.iat > Date.now() / 1000 + this.settings.clockSkewSeconds;
    return isTokenClaims(claims, expected) && !issuedInFuture ? claims : null;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** jsonwebtoken does not require `exp` or our own claims; we do. */
function isTokenClaims(c: jwt.JwtPayload, expected: TokenType): c is TokenClaims {
  return (
    c.typ === expected &&
    typeof c.exp === 'number' &&
    typeof c.iat === 'number' &&
    typeof c.iss === 'string' &&
    typeof c.aud === 'string' &&
    typeof c.sub === 'string' &&
    UUID.test(c.sub) &&
    typeof c.jti === 'string' &&
    UUID.test(c.jti) &&
    typeof c.sid === 'string' &&
    UUID.test(c.sid) &&
    (c.pk === 'USER' || c.pk === 'SERVICE')
  );
}
