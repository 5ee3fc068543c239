import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDeliverer } from '../../src/scheduler/deliver.js';
import type { Deliverer } from '../../src/scheduler/deliver.js';
import type { Lookup } from '../../src/scheduler/ssrfGuard.js';
import { startHttpsReceiver } from '../support/httpsReceiver.js';
import type { HttpsReceiver } from '../support/httpsReceiver.js';
import { testCertificate } from '../support/testCertificate.js';

// Hostile endpoint URLs, each of which must be refused before any connection is attempted. Those
// on loopback use the live receiver's port, so a guard that let one through would show up as a
// connection the receiver accepted, not merely as a different error.
let receiver: HttpsReceiver;
let guarded: Deliverer;
const names: Record<string, string[]> = {
  'internal.example': ['10.1.2.3'],
  'mixed.example': ['93.184.216.34', '10.0.0.7'], // one public and one private answer
  'mixed-v6.example': ['2606:4700::1111', '::1'],
  'metadata.example': ['169.254.169.254'],
  'loopback.example': ['127.0.0.1'],
  'mapped.example': ['::ffff:192.168.1.10'],
  'ula.example': ['fd12:3456::7'],
  localhost: ['127.0.0.1', '::1'],
};
const lookupCalls: string[] = [];
const lookup: Lookup = async (host) => {
  lookupCalls.push(host);
  const found = names[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

beforeAll(async () => {
  receiver = await startHttpsReceiver();
  guarded = createDeliverer({ timeoutMs: 2000, connectTimeoutMs: 1000, allowPrivate: false, lookup, ca: testCertificate().cert });
});
afterAll(async () => {
  guarded.close();
  await receiver.close();
});

const hostile = (port: number): [string, string][] => [
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

describe('the SSRF guard at delivery time', () => {
  it('has a table of at least 30 hostile targets', () => {
    expect(hostile(1).length).toBeGreaterThanOrEqual(30);
  });

  it('refuses every hostile target, naming the range, without attempting a connection', async () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    try {
      for (const [url, range] of hostile(receiver.port)) {
        const outcome = await guarded.deliver({ url, body: '{}', secrets: ['whsec_x'], messageId: 'm1', attemptNo: 1, now: new Date() });
        expect(outcome, url).toMatchObject({ kind: 'error', reason: 'blocked' });
        if (outcome.kind === 'error') expect(outcome.message, url).toContain(range.replace('_', '-'));
      }
      expect(connect).not.toHaveBeenCalled();
      expect(receiver.connections()).toBe(0);
      expect(receiver.requests).toHaveLength(0);
    } finally {
      connect.mockRestore();
    }
  });

  it('resolves a hostname once per delivery', async () => {
    lookupCalls.length = 0;
    await guarded.deliver({ url: 'https://mixed.example/', body: '{}', secrets: ['whsec_x'], messageId: 'm1', attemptNo: 1, now: new Date() });
    expect(lookupCalls).toEqual(['mixed.example']);
  });

  it('lets loopback through with the development switch on', async () => {
    // The same spy does see a real connection, so its silence above means something.
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    const dev = createDeliverer({ timeoutMs: 2000, connectTimeoutMs: 1000, allowPrivate: true, lookup, ca: testCertificate().cert });
    try {
      for (const url of [receiver.url(), `https://localhost:${receiver.port}/dev`, `https://2130706433:${receiver.port}/`]) {
        await expect(dev.deliver({ url, body: '{}', secrets: ['whsec_x'], messageId: 'm1', attemptNo: 1, now: new Date() }), url).resolves.toMatchObject({
          kind: 'response',
          status: 200,
        });
      }
      expect(receiver.requests).toHaveLength(3);
      expect(connect).toHaveBeenCalled();
      // ...but cloud metadata stays refused even then.
      await expect(
        dev.deliver({ url: 'https://169.254.169.254/', body: '{}', secrets: ['whsec_x'], messageId: 'm1', attemptNo: 1, now: new Date() }),
      ).resolves.toMatchObject({ kind: 'error', reason: 'blocked' });
    } finally {
      connect.mockRestore();
      dev.close();
    }
  });
});
