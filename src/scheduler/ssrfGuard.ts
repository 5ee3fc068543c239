import { promises as dns } from 'node:dns';
import { formatIPv4, inPrefix, parseIp } from './ipAddress.js';

/**
 * The delivery-time SSRF guard (DESIGN "Scheduler", issue 6 item 6). A customer controls the
 * endpoint URL and its DNS, so every delivery resolves the host ONCE, refuses it if ANY address is
 * internal, and the caller then connects to exactly the address checked here (see deliver.ts):
 * a DNS answer that changes between check and connect (rebinding) never gets a second look-up.
 */
export type RefusedRange =
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'cgnat'
  | 'unique_local'
  | 'site_local'
  | 'benchmarking'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'documentation'
  | 'reserved'
  | 'metadata';

/** How an IPv4 address was carried inside an IPv6 one, when it was. */
export type Embedding = 'ipv4_mapped' | 'ipv4_compatible' | 'nat64' | '6to4';

export type AddressCheck =
  | { allowed: true }
  | { allowed: false; range: RefusedRange; via?: Embedding }
  | { allowed: false; range: 'invalid' };

/** Ranges the development switch (ALLOW_PRIVATE_ENDPOINTS) lets through: a developer's own network. */
const privateLike: ReadonlySet<RefusedRange> = new Set(['loopback', 'private', 'link_local', 'cgnat', 'unique_local', 'site_local', 'benchmarking']);

interface Range {
  prefix: Uint8Array;
  bits: number;
  range: RefusedRange;
}

const v4 = (cidr: string, range: RefusedRange): Range => {
  const [ip = '', bits = '32'] = cidr.split('/');
  return { prefix: Uint8Array.from(ip.split('.').map(Number)), bits: Number(bits), range };
};
const v6 = (cidr: string, range: RefusedRange): Range => {
  const [ip = '', bits = '128'] = cidr.split('/');
  const parsed = parseIp(ip);
  if (!parsed) throw new Error(`bad range ${cidr}`);
  return { prefix: parsed.bytes, bits: Number(bits), range };
};

// First match wins, so the narrow, more telling names (metadata, broadcast) come before the
// ranges that contain them.
const ipv4Ranges: readonly Range[] = [
  v4('169.254.169.254/32', 'metadata'), // AWS, GCP, Azure, OpenStack, Oracle
  v4('100.100.100.200/32', 'metadata'), // Alibaba Cloud
  v4('255.255.255.255/32', 'broadcast'),
  v4('0.0.0.0/8', 'unspecified'), // "this network": 0.0.0.0 reaches the local host on Linux
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'cgnat'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link_local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'reserved'), // IETF protocol assignments
  v4('192.0.2.0/24', 'documentation'),
  v4('192.88.99.0/24', 'reserved'), // deprecated 6to4 relay anycast
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'benchmarking'),
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
];

const ipv6Ranges: readonly Range[] = [
  v6('fd00:ec2::254/128', 'metadata'), // AWS IMDS over IPv6
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  v6('64:ff9b:1::/48', 'reserved'), // local-use NAT64: translates into the operator's own network
  v6('100::/64', 'reserved'), // discard-only
  v6('2001::/23', 'reserved'), // IETF protocol assignments, Teredo included (tunnels into v4)
  v6('2001:db8::/32', 'documentation'),
  v6('3fff::/20', 'documentation'),
  v6('fc00::/7', 'unique_local'),
  v6('fe80::/10', 'link_local'),
  v6('fec0::/10', 'site_local'),
  v6('ff00::/8', 'multicast'),
];

// IPv6 forms that carry an IPv4 address: the IPv4 is what is actually reached, so it is checked.
const embeddings: readonly { prefix: Range; offset: number; via: Embedding }[] = [
  { prefix: v6('::ffff:0:0/96', 'reserved'), offset: 12, via: 'ipv4_mapped' },
  { prefix: v6('::/96', 'reserved'), offset: 12, via: 'ipv4_compatible' },
  { prefix: v6('64:ff9b::/96', 'reserved'), offset: 12, via: 'nat64' },
  { prefix: v6('2002::/16', 'reserved'), offset: 2, via: '6to4' },
];

const globalUnicast = v6('2000::/3', 'reserved');

function match(bytes: Uint8Array, ranges: readonly Range[]): RefusedRange | undefined {
  return ranges.find((r) => inPrefix(bytes, r.prefix, r.bits))?.range;
}

/** Whether a delivery may connect to this IP literal, and if not, the range that refuses it. */
export function checkAddress(ip: string): AddressCheck {
  const parsed = parseIp(ip);
  if (!parsed) return { allowed: false, range: 'invalid' };
  if (parsed.family === 4) {
    const range = match(parsed.bytes, ipv4Ranges);
    return range ? { allowed: false, range } : { allowed: true };
  }
  const direct = match(parsed.bytes, ipv6Ranges);
  if (direct) return { allowed: false, range: direct };
  for (const e of embeddings) {
    if (!inPrefix(parsed.bytes, e.prefix.prefix, e.prefix.bits)) continue;
    const inner = checkAddress(formatIPv4(parsed.bytes.subarray(e.offset, e.offset + 4)));
    return inner.allowed || inner.range === 'invalid' ? inner : { allowed: false, range: inner.range, via: e.via };
  }
  // Only 2000::/3 is allocated for global unicast; anything else is not a public endpoint.
  return inPrefix(parsed.bytes, globalUnicast.prefix, globalUnicast.bits) ? { allowed: true } : { allowed: false, range: 'reserved' };
}

/** Whether the check refuses `ip` given the development switch. */
function refusal(ip: string, allowPrivate: boolean): Exclude<AddressCheck, { allowed: true }> | undefined {
  const check = checkAddress(ip);
  if (check.allowed) return undefined;
  if (allowPrivate && check.range !== 'invalid' && privateLike.has(check.range)) return undefined;
  return check;
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has (dns.lookup semantics: /etc/hosts included). */
export type Lookup = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemLookup: Lookup = (hostname) => dns.lookup(hostname, { all: true });

export interface GuardOptions {
  lookup?: Lookup;
  /** ALLOW_PRIVATE_ENDPOINTS: the development switch; cloud metadata and multicast stay refused. */
  allowPrivate: boolean;
}

export type GuardResult =
  | { ok: true; address: string; family: 4 | 6 }
  | { ok: false; reason: 'blocked'; address: string; range: RefusedRange | 'invalid'; via?: Embedding; message: string }
  | { ok: false; reason: 'dns'; message: string };

/**
 * Resolves `host` (a URL hostname: IPv6 literals in brackets, IPv4 already normalised by the
 * WHATWG parser) once, and returns the one address the caller must connect to.
 */
export async function resolveAndCheck(host: string, options: GuardOptions): Promise<GuardResult> {
  const literal = parseIp(host);
  let addresses: readonly ResolvedAddress[];
  if (literal) {
    addresses = [{ address: host.replace(/^\[|\]$/g, ''), family: literal.family }];
  } else {
    try {
      addresses = await (options.lookup ?? systemLookup)(host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { ok: false, reason: 'dns', message: `could not resolve ${host}${code ? ` (${code})` : ''}` };
    }
    if (addresses.length === 0) return { ok: false, reason: 'dns', message: `${host} has no addresses` };
  }
  // Refuse if ANY address is internal: a name with one public and one private answer must not
  // get a chance to connect to the private one on a later attempt or a retry inside the client.
  for (const { address } of addresses) {
    const refused = refusal(address, options.allowPrivate);
    if (refused) {
      const via = 'via' in refused && refused.via ? ` (${refused.via.replace('_', '-')})` : '';
      const shown = literal ? address : `${host} resolves to ${address}`;
      return {
        ok: false,
        reason: 'blocked',
        address,
        range: refused.range,
        ...('via' in refused && refused.via ? { via: refused.via } : {}),
        message: `${shown}: ${refused.range.replace('_', '-')} address refused${via}`,
      };
    }
  }
  // Every address passed the check, so each parses; the family comes from the text, not the resolver.
  const first = (addresses[0] as ResolvedAddress).address;
  return { ok: true, address: first, family: parseIp(first)?.family ?? 4 };
}
