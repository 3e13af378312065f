import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import type { TestApp } from './test-app';

type Algorithm = 'RS256' | 'ES256';

interface SigningKey {
  kid: string;
  algorithm: Algorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * A stand-in for an agency's identity provider: keys generated with node:crypto, its JWKS served
 * over HTTP on 127.0.0.1 (an ephemeral port), and tokens signed for its users.
 */
export interface IdentityProvider {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** How many times the JWKS was fetched. */
  fetches: number;
  /** A new key, published from now on; returns its kid. */
  addKey(algorithm?: Algorithm): string;
  /** Keys with these kids, to sign with but not published (a forged or unpublished kid). */
  addUnpublishedKey(algorithm?: Algorithm): string;
  /** Signs claims (iss, aud, iat, exp added unless given; undefined removes one) with a key of this provider. */
  sign(claims: Record<string, unknown>, options?: { kid?: string; header?: Record<string, unknown> }): string;
  publicJwk(kid: string): Record<string, unknown>;
  /** The TRUSTED_ISSUERS entry for this provider, trusted for one agency. */
  trustedIssuer(agencyId: string, overrides?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startIdentityProvider(name = 'idp'): Promise<IdentityProvider> {
  const published: SigningKey[] = [];
  const unpublished: SigningKey[] = [];
  const generate = (algorithm: Algorithm): SigningKey => {
    const pair =
      algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { kid: `${name}-${randomUUID().slice(0, 8)}`, algorithm, ...pair };
  };
  const jwkOf = (key: SigningKey) => ({ ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, use: 'sig', alg: key.algorithm });

  const server = http.createServer((req, res) => {
    provider.fetches++;
    if (req.url !== '/jwks') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published.map(jwkOf) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  const provider: IdentityProvider = {
    issuer: `${base}/${name}`,
    audience: 'safeshare-agency-sign-in',
    jwksUrl: `${base}/jwks`,
    fetches: 0,
    addKey(algorithm = 'RS256') {
      const key = generate(algorithm);
      published.push(key);
      return key.kid;
    },
    addUnpublishedKey(algorithm = 'RS256') {
      const key = generate(algorithm);
      unpublished.push(key);
      return key.kid;
    },
    sign(claims, options = {}) {
      const key = [...published, ...unpublished].find((k) => k.kid === (options.kid ?? published[0]?.kid));
      if (!key) throw new Error('no such key');
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = { iss: provider.issuer, aud: provider.audience, iat: now, exp: now + 300, ...claims };
      for (const [k, v] of Object.entries(claims)) if (v === undefined) delete payload[k];
      return jwt.sign(payload, key.privateKey, {
        algorithm: key.algorithm,
        header: { alg: key.algorithm, typ: 'JWT', kid: key.kid, ...options.header },
      });
    },
    publicJwk(kid) {
      const key = [...published, ...unpublished].find((k) => k.kid === kid);
      if (!key) throw new Error('no such key');
      return jwkOf(key);
    },
    trustedIssuer(agencyId, overrides = {}) {
      return { issuer: provider.issuer, jwksUrl: provider.jwksUrl, audience: provider.audience, agencyId, ...overrides };
    },
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
  provider.addKey();
  return provider;
}

/**
 * An agency with a known id (so TRUSTED_ISSUERS can name it before the app starts) and one active
 * practitioner in it, written as the database owner.
 */
export async function createAgencyWithUser(app: TestApp, agencyId: string, name: string, email: string): Promise<string> {
  await app.ownerQuery(`INSERT INTO agencies (id, name, kind) VALUES ($1, $2, 'SOCIAL_CARE')`, [agencyId, name]);
  const rows = (await app.ownerQuery(
    // No usable password: this user signs in only through the agency's identity provider.
    `INSERT INTO users (agency_id, email, display_name, password_hash, roles) VALUES ($1, $2, $3, '!', '{PRACTITIONER}') RETURNING id`,
    [agencyId, email, `${name} practitioner`],
  )) as { id: string }[];
  return rows[0].id;
}
