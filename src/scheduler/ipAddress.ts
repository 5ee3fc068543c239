import { isIPv4, isIPv6 } from 'node:net';

/**
 * IP literals as bytes, so the SSRF guard can match ranges and find IPv4 addresses hidden inside
 * IPv6 ones (mapped, compatible, NAT64, 6to4) without string tricks.
 */
export interface IpBytes {
  family: 4 | 6;
  bytes: Uint8Array;
}

/** Parses a dotted-quad IPv4 or any IPv6 text form (brackets and zone id allowed); undefined if neither. */
export function parseIp(text: string): IpBytes | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(bare)) return { family: 4, bytes: Uint8Array.from(bare.split('.').map(Number)) };
  if (isIPv6(bare)) return { family: 6, bytes: parseIPv6(bare.replace(/%.*$/, '')) };
  return undefined;
}

function parseIPv6(text: string): Uint8Array {
  // A trailing dotted IPv4 stands for the last two 16-bit groups: rewrite it as hex first.
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  const hex = dotted
    ? `${dotted[1]}${((Number(dotted[2]) << 8) | Number(dotted[3])).toString(16)}:${((Number(dotted[4]) << 8) | Number(dotted[5])).toString(16)}`
    : text;
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const [head = '', tail] = hex.split('::') as [string, string | undefined];
  const headGroups = groups(head);
  const tailGroups = tail === undefined ? [] : groups(tail);
  const all = [...headGroups, ...new Array<number>(8 - headGroups.length - tailGroups.length).fill(0), ...tailGroups];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

/** Whether `ip` lies in `prefix`/`bits` (same family; prefix given as bytes). */
export function inPrefix(ip: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if (((ip[byte] ?? 0) & mask) !== ((prefix[byte] ?? 0) & mask)) return false;
  }
  return true;
}

export function formatIPv4(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join('.');
}
