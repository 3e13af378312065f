import jwt from 'jsonwebtoken';
import type { Logger } from 'pino';
import type { JwtConfig, TrustedIssuer } from '../config';
import { JwksCache } from './jwks';

/** Who an agency's identity provider says signed in. Roles are never taken from it. */
export interface ExternalIdentity {
  issuer: string;
  agencyId: string;
  email: string;
}

/** Why an external token was refused: logged, never told to the caller. */
export type ExternalRefusal =
  'malformed' | 'untrusted issuer' | 'algorithm not allowed' | 'unknown key' | 'invalid signature or claims' | 'no email';

export type ExternalVerification = { identity: ExternalIdentity } | { refused: ExternalRefusal };

/**
 * Verifies tokens from the agencies' own identity providers (TRUSTED_ISSUERS): RS256 or ES256 only,
 * signed by a key from the issuer's configured JWKS (never from a `jku`, `x5u`, `jwk` or `x5c`
 * header: those are ignored), with the configured issuer and audience, an expiry, and the same clock
 * skew as our own tokens.
 */
export class ExternalIssuers {
  private readonly issuers = new Map<string, { config: TrustedIssuer; jwks: JwksCache }>();
  private readonly clockSkewSeconds: number;

  constructor(settings: Pick<JwtConfig, 'trustedIssuers' | 'jwks' | 'clockSkewSeconds'>, now: () => number = Date.now) {
    this.clockSkewSeconds = settings.clockSkewSeconds;
    for (const config of settings.trustedIssuers) {
      this.issuers.set(config.issuer, { config, jwks: new JwksCache(config.jwksUrl, settings.jwks, now) });
    }
  }

  get configured(): boolean {
    return this.issuers.size > 0;
  }

  async verify(token: string, log?: Logger): Promise<ExternalVerification> {
    let decoded: jwt.Jwt | null;
    try {
      decoded = jwt.decode(token, { complete: true });
    } catch {
      decoded = null;
    }
    if (!decoded || typeof decoded.payload === 'string') return { refused: 'malformed' };
    const { header, payload } = decoded;
    // The issuer claim only chooses which configuration to check against; the signature decides.
    const trusted = typeof payload.iss === 'string' ? this.issuers.get(payload.iss) : undefined;
    if (!trusted) return { refused: 'untrusted issuer' };
    const algorithm = trusted.config.algorithms.find((a) => a === header.alg);
    if (!algorithm) return { refused: 'algorithm not allowed' };
    if (typeof header.kid !== 'string' || !header.kid) return { refused: 'unknown key' };
    const key = await trusted.jwks.key(header.kid, log);
    if (!key || key.algorithm !== algorithm) return { refused: 'unknown key' };
    let claims: jwt.JwtPayload;
    try {
      const verified = jwt.verify(token, key.key, {
        algorithms: [algorithm],
        issuer: trusted.config.issuer,
        audience: trusted.config.audience,
        clockTolerance: this.clockSkewSeconds,
      });
      if (typeof verified === 'string') return { refused: 'invalid signature or claims' };
      claims = verified;
    } catch {
      return { refused: 'invalid signature or claims' };
    }
    const nowSeconds = Date.now() / 1000;
    // jsonwebtoken checks `exp` only when present; we require it, and refuse tokens issued in the future.
    if (typeof claims.exp !== 'number') return { refused: 'invalid signature or claims' };
    if (typeof claims.iat === 'number' && claims.iat > nowSeconds + this.clockSkewSeconds)
      return { refused: 'invalid signature or claims' };
    const email: unknown = claims[trusted.config.emailClaim];
    // An address the provider says it has not verified identifies nobody.
    if (typeof email !== 'string' || !email.includes('@') || claims.email_verified === false || claims.email_verified === 'false')
      return { refused: 'no email' };
    return { identity: { issuer: trusted.config.issuer, agencyId: trusted.config.agencyId, email } };
  }
}
