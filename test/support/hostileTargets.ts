/**
 * Hostile endpoint targets for SSRF tests, each with the range the guard should name: used at
 * delivery time (test/scheduler/deliverSsrf.int.test.ts, with a stubbed resolver for the names
 * below) and at the API (test/security/ssrf.int.test.ts). Targets on loopback take the port of
 * a live receiver, so a target let through shows up as a connection it accepted.
 */
export const hostileNames: Record<string, string[]> = {
  'internal.example': ['10.1.2.3'],
  'mixed.example': ['93.184.216.34', '10.0.0.7'], // one public and one private answer
  'mixed-v6.example': ['2606:4700::1111', '::1'],
  'metadata.example': ['169.254.169.254'],
  'loopback.example': ['127.0.0.1'],
  'mapped.example': ['::ffff:192.168.1.10'],
  'ula.example': ['fd12:3456::7'],
  localhost: ['127.0.0.1', '::1'],
};

export const hostileTargets = (port: number): [url: string, range: string][] => [
  [`https://127.0.0.1:${port}/`, 'loopback'],
  [`https://127.0.0.2:${port}/`, 'loopback'],
  [`https://2130706433:${port}/`, 'loopback'], // decimal
  [`https://0x7f000001:${port}/`, 'loopback'], // hex
  [`https://017700000001:${port}/`, 'loopback'], // octal
  [`https://0177.0.0.1:${port}/`, 'loopback'], // octal first octet
  [`https://0x7f.0x0.0x0.0x1:${port}/`, 'loopback'], // hex octets
  [`https://127.1:${port}/`, 'loopback'], // short form
  [`https://127.0.0.1.:${port}/`, 'loopback'], // trailing dot
  [`https://[::1]:${port}/`, 'loopback'],
  [`https://[::ffff:127.0.0.1]:${port}/`, 'loopback'], // IPv4-mapped, dotted
  [`https://[::ffff:7f00:1]:${port}/`, 'loopback'], // IPv4-mapped, hex
  [`https://[0:0:0:0:0:ffff:127.0.0.1]:${port}/`, 'loopback'],
  [`https://[::127.0.0.1]:${port}/`, 'loopback'], // IPv4-compatible
  [`https://[64:ff9b::127.0.0.1]:${port}/`, 'loopback'], // NAT64
  [`https://[2002:7f00:1::1]:${port}/`, 'loopback'], // 6to4
  [`https://0.0.0.0:${port}/`, 'unspecified'],
  [`https://0:${port}/`, 'unspecified'],
  [`https://[::]:${port}/`, 'unspecified'],
  [`https://localhost:${port}/`, 'loopback'],
  [`https://loopback.example:${port}/`, 'loopback'],
  ['https://169.254.169.254/latest/meta-data/iam/', 'metadata'],
  ['https://2852039166/latest/meta-data/', 'metadata'], // 169.254.169.254 in decimal
  ['https://[::ffff:169.254.169.254]/', 'metadata'],
  ['https://[64:ff9b::a9fe:a9fe]/', 'metadata'],
  ['https://[fd00:ec2::254]/latest/meta-data/', 'metadata'],
  ['https://100.100.100.200/latest/meta-data/', 'metadata'],
  ['https://metadata.example/computeMetadata/v1/', 'metadata'],
  ['https://10.0.0.1/', 'private'],
  ['https://172.16.5.4/', 'private'],
  ['https://172.31.255.254/', 'private'],
  ['https://192.168.1.1/', 'private'],
  ['https://0xc0a80101/', 'private'], // 192.168.1.1 in hex
  ['https://[::ffff:a00:1]/', 'private'],
  ['https://internal.example/', 'private'],
  ['https://mixed.example/', 'private'],
  ['https://mapped.example/', 'private'],
  ['https://mixed-v6.example/', 'loopback'],
  ['https://100.64.0.1/', 'cgnat'],
  ['https://169.254.10.20/', 'link_local'],
  ['https://[fe80::1]/', 'link_local'],
  ['https://[fc00::1]/', 'unique_local'],
  ['https://ula.example/', 'unique_local'],
  ['https://224.0.0.1/', 'multicast'],
  ['https://[ff02::1]/', 'multicast'],
  ['https://255.255.255.255/', 'broadcast'],
  ['https://240.0.0.1/', 'reserved'],
  ['https://192.0.2.10/', 'documentation'],
  ['https://198.18.0.1/', 'benchmarking'],
];
