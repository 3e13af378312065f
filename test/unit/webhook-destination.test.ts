import fc from 'fast-check';
import { checkUrl, refusedAddress, resolveDestination, type DestinationRules } from '../../src/webhooks/destination';
import { isLastAttempt, retryDelayMs } from '../../src/webhooks/retry';

// Where webhooks may go (src/webhooks/destination.ts): address classes, URL rules, the whole check
// with a stand-in resolver, and the retry back-off.

const OPEN: DestinationRules = { requireHttps: false, allowedHosts: [] };
const PRODUCTION: DestinationRules = { requireHttps: true, allowedHosts: [] };

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
/** An IPv4 address in a block: `first` octets fixed, the rest random. */
const inBlock = (a: number, bMin = 0, bMax = 255) =>
  fc.tuple(fc.integer({ min: bMin, max: bMax }), octet, octet).map(([b, c, d]) => `${a}.${b}.${c}.${d}`);
const toHexMapped = (v4: string) => {
  const [a, b, c, d] = v4.split('.').map(Number);
  return `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
};

describe('refused addresses', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback'],
    ['::ffff:169.254.169.254', 'IPv4-mapped link-local'],
    ['::ffff:a00:1', 'IPv4-mapped private'],
    ['64:ff9b::10.0.0.1', 'NAT64 private'],
    ['2001:db8::1', 'documentation'],
  ])('refuses %s (%s)', (address, what) => {
    expect(refusedAddress(address)).toBe(what);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('allows the public address %s', (address) => {
    expect(refusedAddress(address)).toBeNull();
  });

  it('refuses every address of the private, loopback, link-local and CGNAT blocks', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          inBlock(10),
          inBlock(127),
          inBlock(169, 254, 254),
          inBlock(172, 16, 31),
          inBlock(192, 168, 168),
          inBlock(100, 64, 127),
          inBlock(0),
        ),
        (address) => refusedAddress(address) !== null,
      ),
    );
  });

  it('judges an IPv4-mapped IPv6 address, in either spelling, as the IPv4 address it carries', () => {
    fc.assert(
      fc.property(ipv4, (address) => {
        const plain = refusedAddress(address);
        for (const mapped of [`::ffff:${address}`, toHexMapped(address)]) {
          const judged = refusedAddress(mapped);
          if ((plain === null) !== (judged === null)) return false;
        }
        return true;
      }),
    );
  });

  it('refuses every unique-local, link-local and multicast IPv6 address', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
    const rest = fc.array(group, { minLength: 7, maxLength: 7 });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(fc.integer({ min: 0xfc00, max: 0xfdff }), rest),
          fc.tuple(fc.integer({ min: 0xfe80, max: 0xfebf }), rest),
          fc.tuple(fc.integer({ min: 0xff00, max: 0xffff }), rest),
        ),
        ([head, tail]) => refusedAddress([head.toString(16), ...tail].join(':')) !== null,
      ),
    );
  });

  it('refuses what is not an address', () => {
    expect(refusedAddress('example.org')).toBe('not an IP address');
  });
});

describe('destination URLs', () => {
  it('allows http outside production and only https in production', () => {
    expect('refused' in checkUrl('http://example.org/hook', OPEN)).toBe(false);
    expect(checkUrl('http://example.org/hook', PRODUCTION)).toEqual({ refused: 'DESTINATION_REFUSED', message: 'url must be https://' });
    expect('refused' in checkUrl('https://example.org/hook', PRODUCTION)).toBe(false);
  });

  it.each(['ftp://example.org/x', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', '/relative'])('refuses %s', (url) => {
    expect(checkUrl(url, OPEN)).toMatchObject({ refused: 'DESTINATION_REFUSED' });
  });

  it('refuses any URL that carries credentials', () => {
    const part = fc.stringMatching(/^[a-z0-9]{1,10}$/);
    fc.assert(
      fc.property(part, fc.option(part, { nil: undefined }), (user, password) => {
        const url = `https://${user}${password === undefined ? '' : `:${password}`}@example.org/hook`;
        const checked = checkUrl(url, OPEN);
        return 'refused' in checked && checked.message === 'url must not carry credentials';
      }),
    );
  });
});

describe('resolving a destination', () => {
  const resolvesTo =
    (...addresses: string[]) =>
    () =>
      Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

  it('pins the connection to the first address checked', async () => {
    await expect(resolveDestination('https://hooks.example.org/in', OPEN, resolvesTo('203.0.114.7', '8.8.4.4'))).resolves.toMatchObject({
      hostname: 'hooks.example.org',
      address: '203.0.114.7',
      family: 4,
    });
  });

  it('refuses a host with any internal address among public ones (and the metadata address)', async () => {
    await expect(resolveDestination('https://hooks.example.org/in', OPEN, resolvesTo('8.8.8.8', '10.0.0.1'))).resolves.toMatchObject({
      refused: 'DESTINATION_REFUSED',
    });
    await expect(resolveDestination('http://169.254.169.254/latest/meta-data', OPEN)).resolves.toMatchObject({
      refused: 'DESTINATION_REFUSED',
    });
    await expect(resolveDestination('http://[::ffff:10.0.0.1]/x', OPEN)).resolves.toMatchObject({ refused: 'DESTINATION_REFUSED' });
  });

  it('lets an allow-listed host through whatever it resolves to, and only that host', async () => {
    const rules = { requireHttps: false, allowedHosts: ['127.0.0.1', 'receiver.internal'] };
    await expect(resolveDestination('http://127.0.0.1:8080/x', rules)).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(resolveDestination('http://receiver.internal/x', rules, resolvesTo('10.1.2.3'))).resolves.toMatchObject({
      address: '10.1.2.3',
    });
    await expect(resolveDestination('http://10.0.0.1/x', rules)).resolves.toMatchObject({ refused: 'DESTINATION_REFUSED' });
    await expect(resolveDestination('http://other.internal/x', rules, resolvesTo('10.1.2.3'))).resolves.toMatchObject({
      refused: 'DESTINATION_REFUSED',
    });
  });

  it('says a host that does not resolve is unreachable', async () => {
    const fails = () => Promise.reject(new Error('ENOTFOUND'));
    await expect(resolveDestination('https://nowhere.example.org/x', OPEN, fails)).resolves.toMatchObject({ refused: 'UNREACHABLE' });
    await expect(resolveDestination('https://nowhere.example.org/x', OPEN, () => Promise.resolve([]))).resolves.toMatchObject({
      refused: 'UNREACHABLE',
    });
  });
});

describe('retry back-off', () => {
  it('waits a random time up to base * 2^(attempt-1), never more than the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 1, max: 86_400_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, base, cap, r) => {
          const delay = retryDelayMs(attempt, base, cap, () => r);
          return delay >= 0 && delay <= Math.min(cap, base * 2 ** (attempt - 1)) && Number.isInteger(delay);
        },
      ),
    );
    // Full jitter spans the whole window: its top is reached as the random number nears 1.
    expect(retryDelayMs(4, 100, 10_000, () => 0.999999)).toBe(799);
    expect(retryDelayMs(30, 100, 10_000, () => 0.999999)).toBe(9999);
  });

  it('is dead after the round’s attempts, and a redelivery starts a new round', () => {
    expect(isLastAttempt(7, 0, 8)).toBe(false);
    expect(isLastAttempt(8, 0, 8)).toBe(true);
    expect(isLastAttempt(9, 8, 8)).toBe(false);
  });
});
