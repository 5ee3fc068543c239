import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDeliverer } from '../../src/scheduler/deliver.js';
import type { Deliverer } from '../../src/scheduler/deliver.js';
import type { Lookup } from '../../src/scheduler/ssrfGuard.js';
import { hostileNames, hostileTargets } from '../support/hostileTargets.js';
import { startHttpsReceiver } from '../support/httpsReceiver.js';
import type { HttpsReceiver } from '../support/httpsReceiver.js';
import { testCertificate } from '../support/testCertificate.js';

// Hostile endpoint URLs, each of which must be refused before any connection is attempted. Those
// on loopback use the live receiver's port, so a guard that let one through would show up as a
// connection the receiver accepted, not merely as a different error.
let receiver: HttpsReceiver;
let guarded: Deliverer;
const names = hostileNames;
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

const hostile = hostileTargets;

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
