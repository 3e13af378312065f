import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { ExternalAlgorithm, JwtConfig } from '../config';

/** A verification key published by an external identity provider, bound to one algorithm. */
export interface PublishedKey {
  kid: string;
  algorithm: ExternalAlgorithm;
  key: KeyObject;
}

/** A JWKS larger than this is refused: a real one holds a handful of keys. */
const MAX_JWKS_BYTES = 256 * 1024;
/** Keys keep working this long after the last successful fetch while the provider is unreachable. */
const MAX_STALE_MS = 24 * 3600 * 1000;
const MIN_RSA_BITS = 2048;

/** Members only a private JWK has: a JWKS that publishes them is misconfigured, and its key is not used. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/**
 * One trusted provider's JSON Web Key Set, fetched on first use and cached. Refetched when the cache
 * is older than its TTL, or when a token names an unknown `kid` (the provider rotated its keys), but
 * never more often than the refetch interval, so forged kids cannot make us hammer the provider.
 * Concurrent lookups share one fetch. Only the configured URL is ever fetched.
 */
export class JwksCache {
  private keys = new Map<string, PublishedKey>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inFlight?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly settings: JwtConfig['jwks'],
    private readonly now: () => number = Date.now,
  ) {}

  /** The provider's key with this `kid`, or undefined. */
  async key(kid: string, log?: Logger): Promise<PublishedKey | undefined> {
    const now = this.now();
    const fresh = now - this.fetchedAt < this.settings.cacheTtlSeconds * 1000;
    const known = this.keys.get(kid);
    if (known && fresh) return known;
    // A fetch already under way answers this lookup too; otherwise fetch if the interval allows.
    if (this.inFlight) await this.inFlight;
    else if (now - this.attemptedAt >= this.settings.refetchIntervalSeconds * 1000) await this.refresh(log);
    if (this.now() - this.fetchedAt > MAX_STALE_MS) return undefined;
    return this.keys.get(kid);
  }

  private refresh(log?: Logger): Promise<void> {
    this.inFlight ??= this.load(log).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async load(log?: Logger): Promise<void> {
    this.attemptedAt = this.now();
    try {
      this.keys = parseJwks(await fetchJson(this.url, this.settings.fetchTimeoutMs));
      this.fetchedAt = this.now();
      log?.info({ event: 'jwks_fetched', url: this.url, kids: [...this.keys.keys()] }, 'fetched an identity provider key set');
    } catch (error) {
      // Keep the keys we have: a provider's brief outage should not sign every agency user out.
      log?.warn({ event: 'jwks_fetch_failed', url: this.url, err: error }, 'could not fetch an identity provider key set');
    }
  }
}

/** GETs JSON with a timeout and a size limit; redirects are refused (they could leave https). */
async function fetchJson(url: string, timeoutMs: number): Promise<unknown> {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  if (response.status !== 200) throw new Error(`JWKS answered HTTP ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_JWKS_BYTES || !response.body) throw new Error('JWKS too large or empty');
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_JWKS_BYTES) throw new Error('JWKS too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

/** The usable signing keys of a JWKS document; anything odd about a key leaves that key out. */
export function parseJwks(document: unknown): Map<string, PublishedKey> {
  const keys = new Map<string, PublishedKey>();
  const list = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error('not a JWKS: no keys array');
  for (const jwk of list as unknown[]) {
    const key = publishedKey(jwk);
    if (key && !keys.has(key.kid)) keys.set(key.kid, key);
  }
  return keys;
}

function publishedKey(value: unknown): PublishedKey | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const jwk = value as Record<string, unknown>;
  if (typeof jwk.kid !== 'string' || !jwk.kid || (jwk.use !== undefined && jwk.use !== 'sig')) return undefined;
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return undefined;
  let algorithm: ExternalAlgorithm;
  let material: JsonWebKey;
  if (jwk.kty === 'RSA' && typeof jwk.n === 'string' && typeof jwk.e === 'string') {
    algorithm = 'RS256';
    material = { kty: 'RSA', n: jwk.n, e: jwk.e };
  } else if (jwk.kty === 'EC' && jwk.crv === 'P-256' && typeof jwk.x === 'string' && typeof jwk.y === 'string') {
    algorithm = 'ES256';
    material = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  } else {
    return undefined;
  }
  if (jwk.alg !== undefined && jwk.alg !== algorithm) return undefined;
  try {
    const key = createPublicKey({ key: material, format: 'jwk' });
    if (algorithm === 'RS256' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return undefined;
    return { kid: jwk.kid, algorithm, key };
  } catch {
    return undefined;
  }
}
