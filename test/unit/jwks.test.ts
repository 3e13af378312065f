import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwksCache, parseJwks } from '../../src/auth/jwks';
import { buildKeyRing } from '../../src/auth/keys';
import { loadConfig } from '../../src/config';

const rsaJwk = (bits = 2048) => generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' });
const ecJwk = (curve = 'P-256') => generateKeyPairSync('ec', { namedCurve: curve }).publicKey.export({ format: 'jwk' });

describe('parseJwks', () => {
  it('keeps RSA (2048+) and P-256 signing keys, bound to RS256 and ES256', () => {
    const keys = parseJwks({
      keys: [
        { ...rsaJwk(), kid: 'r' },
        { ...ecJwk(), kid: 'e', alg: 'ES256', use: 'sig' },
      ],
    });
    expect([...keys.values()].map((k) => [k.kid, k.algorithm])).toEqual([
      ['r', 'RS256'],
      ['e', 'ES256'],
    ]);
  });

  it.each([
    ['no kid', { ...rsaJwk() }],
    ['an encryption key', { ...rsaJwk(), kid: 'k', use: 'enc' }],
    ['a short RSA key', { ...rsaJwk(1024), kid: 'k' }],
    ['another curve', { ...ecJwk('P-384'), kid: 'k' }],
    ['an alg that does not fit the key', { ...rsaJwk(), kid: 'k', alg: 'HS256' }],
    ['a symmetric key', { kty: 'oct', k: 'c2VjcmV0', kid: 'k' }],
    ['private key members', { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'k' }],
    ['garbage', { kty: 'RSA', n: 'x', e: 'y', kid: 'k' }],
  ])('leaves out %s', (_case, jwk) => {
    expect(parseJwks({ keys: [jwk] }).size).toBe(0);
  });

  it('refuses a document without keys', () => {
    expect(() => parseJwks({})).toThrow(/no keys/);
  });
});

describe('JwksCache', () => {
  let server: http.Server;
  let url: string;
  let fetches = 0;
  let keys: object[] = [];
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('caches for the TTL, refetches an unknown kid at most once per interval, and shares concurrent fetches', async () => {
    let clock = 1_000_000;
    keys = [{ ...rsaJwk(), kid: 'a' }];
    fetches = 0;
    const cache = new JwksCache(url, { cacheTtlSeconds: 600, refetchIntervalSeconds: 30, fetchTimeoutMs: 1000 }, () => clock);
    const [a1, a2] = await Promise.all([cache.key('a'), cache.key('a')]);
    expect(a1?.kid).toBe('a');
    expect(a2).toBe(a1);
    expect(fetches).toBe(1);
    expect(await cache.key('unknown')).toBeUndefined(); // within the interval: no refetch
    expect(fetches).toBe(1);
    keys.push({ ...ecJwk(), kid: 'b' });
    clock += 31_000;
    expect((await cache.key('b'))?.algorithm).toBe('ES256'); // the provider rotated: one refetch
    expect(fetches).toBe(2);
    clock += 10_000;
    expect(await cache.key('b')).toBeDefined();
    expect(fetches).toBe(2);
    keys = [{ ...rsaJwk(), kid: 'c' }];
    clock += 600_000; // past the TTL: a known kid is refetched too, and a key the provider dropped is gone
    expect(await cache.key('a')).toBeUndefined();
    expect(fetches).toBe(3);
  });
});

describe('key ring', () => {
  const SECRET = 's'.repeat(32);
  it('refuses extra keys that cannot verify, and a kid used twice', () => {
    const ring = (keys: object[]) => buildKeyRing(loadConfig({ JWT_SECRET: SECRET, JWT_VERIFICATION_KEYS: JSON.stringify(keys) }).jwt);
    expect(() => ring([{ alg: 'RS256', key: 'not a pem' }])).toThrow(/JWT_VERIFICATION_KEYS\[0\]: not a PEM public key/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => ring([{ alg: 'RS256', key: ec }])).toThrow(/needs an RSA key/);
    expect(() => ring([{ key: SECRET }])).toThrow(/already in use/);
    expect(() =>
      ring([
        { key: 't'.repeat(32), kid: 'x' },
        { key: 'u'.repeat(32), kid: 'x' },
      ]),
    ).toThrow(/already in use/);
    expect(ring([{ key: 't'.repeat(32) }, { alg: 'ES256', key: ec, kid: 'ec-2025' }]).verification.size).toBe(3);
  });
});
