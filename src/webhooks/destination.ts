import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Where a webhook may be sent (docs/notifications.md, "Webhooks", "Destinations"). Checked when an
 * endpoint is registered and again before every attempt, on the addresses the host resolves to
 * then (a host that later resolves to an internal address is refused: DNS rebinding); the attempt
 * connects to the address checked, never to a second lookup's.
 */

export interface DestinationRules {
  /** Only https:// (production). */
  requireHttps: boolean;
  /** Hosts (lower-case, as the URL spells them; address literals without brackets) exempt from the address rules. */
  allowedHosts: readonly string[];
}

/** Why a destination is refused: what the error's `extensions.reason` says. */
export type RefusalReason = 'DESTINATION_REFUSED' | 'UNREACHABLE';

export interface Refusal {
  refused: RefusalReason;
  message: string;
}

/** A destination that passed: its URL and the one address to connect to. */
export interface Destination {
  url: URL;
  /** The host as the URL names it (brackets removed): TLS checks its certificate against it. */
  hostname: string;
  address: string;
  family: 4 | 6;
}

export type Lookup = (hostname: string) => Promise<{ address: string; family: number }[]>;

const refuse = (message: string): Refusal => ({ refused: 'DESTINATION_REFUSED', message });

/** The URL's host without IPv6 brackets, lower-case. */
const hostOf = (url: URL) => url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');

/** What can be decided from the URL alone: scheme, credentials, a host. */
export function checkUrl(raw: string, rules: DestinationRules): { url: URL; hostname: string } | Refusal {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('url is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse('url must be http:// or https://');
  if (rules.requireHttps && url.protocol !== 'https:') return refuse('url must be https://');
  if (url.username || url.password) return refuse('url must not carry credentials');
  const hostname = hostOf(url);
  if (!hostname) return refuse('url has no host');
  return { url, hostname };
}

// ---------------------------------------------------------------------------------------------
// Addresses

/** A block of addresses, as a prefix: what its addresses are, said in a refusal. */
interface Block {
  prefix: bigint;
  bits: number;
  what: string;
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

/** An IPv6 address (any textual form node accepts, an embedded dotted IPv4 too) as a 128-bit number. */
function ipv6Value(address: string): bigint {
  let text = address.split('%')[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Value(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const groups = (part: string) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = tail === null ? [] : groups(tail);
  const all = tail === null ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

const v4 = (cidr: string, what: string): Block => {
  const [base, bits] = cidr.split('/');
  return { prefix: ipv4Value(base), bits: Number(bits), what };
};
const v6 = (cidr: string, what: string): Block => {
  const [base, bits] = cidr.split('/');
  return { prefix: ipv6Value(base), bits: Number(bits), what };
};

/** IPv4 blocks no webhook goes to: none is a public receiver. */
const IPV4_REFUSED: readonly Block[] = [
  v4('0.0.0.0/8', 'unspecified'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'carrier-grade NAT'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'IETF protocol assignments'),
  v4('192.0.2.0/24', 'documentation'),
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'benchmarking'),
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
];

const IPV6_REFUSED: readonly Block[] = [
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  v6('::/96', 'IPv4-compatible'),
  v6('100::/64', 'discard'),
  v6('2001:db8::/32', 'documentation'),
  v6('fc00::/7', 'unique-local'),
  v6('fe80::/10', 'link-local'),
  v6('fec0::/10', 'site-local'),
  v6('ff00::/8', 'multicast'),
];

/** IPv6 blocks that carry an IPv4 address in their low 32 bits: judged by that address. */
const IPV6_EMBEDDING_V4: readonly Block[] = [v6('::ffff:0:0/96', 'IPv4-mapped'), v6('64:ff9b::/96', 'NAT64')];

const within = (value: bigint, width: number, block: Block) =>
  value >> BigInt(width - block.bits) === block.prefix >> BigInt(width - block.bits);

/**
 * Why no webhook may be sent to `address` (an IPv4 or IPv6 literal), or null when it is a public
 * unicast address. An IPv4-mapped or NAT64 IPv6 address is judged by the IPv4 address it carries.
 */
export function refusedAddress(address: string): string | null {
  const family = isIP(address.split('%')[0]);
  if (family === 4) {
    const value = ipv4Value(address);
    if (value === 0xffffffffn) return 'broadcast';
    return IPV4_REFUSED.find((b) => within(value, 32, b))?.what ?? null;
  }
  if (family === 6) {
    const value = ipv6Value(address);
    const embedding = IPV6_EMBEDDING_V4.find((b) => within(value, 128, b));
    if (embedding) {
      const inner = refusedAddress([24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.'));
      return inner ? `${embedding.what} ${inner}` : null;
    }
    return IPV6_REFUSED.find((b) => within(value, 128, b))?.what ?? null;
  }
  return 'not an IP address';
}

// ---------------------------------------------------------------------------------------------
// The whole check

const lookupAll: Lookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Checks `raw` and resolves its host: every address it resolves to must be allowed (a host with one
 * internal address among public ones is refused), unless the host is on the allow-list. Returns the
 * destination pinned to the first address, or why it is refused.
 */
export async function resolveDestination(raw: string, rules: DestinationRules, lookup: Lookup = lookupAll): Promise<Destination | Refusal> {
  const checked = checkUrl(raw, rules);
  if ('refused' in checked) return checked;
  const { url, hostname } = checked;
  const allowed = rules.allowedHosts.includes(hostname);
  let addresses: { address: string; family: number }[];
  if (isIP(hostname)) addresses = [{ address: hostname, family: isIP(hostname) }];
  else {
    try {
      addresses = await lookup(hostname);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) return { refused: 'UNREACHABLE', message: `url host ${hostname} does not resolve` };
  }
  if (!allowed) {
    for (const { address } of addresses) {
      const why = refusedAddress(address);
      if (why) return refuse(`url resolves to a ${why} address (${address}); not a public receiver`);
    }
  }
  const [first] = addresses;
  return { url, hostname, address: first.address, family: first.family === 6 ? 6 : 4 };
}
