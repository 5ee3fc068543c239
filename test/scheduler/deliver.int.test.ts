import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDeliverer } from '../../src/scheduler/deliver.js';
import type { Deliverer, DeliveryRequest } from '../../src/scheduler/deliver.js';
import { startHttpsReceiver } from '../support/httpsReceiver.js';
import type { HttpsReceiver, Reply } from '../support/httpsReceiver.js';
import { testCertificate } from '../support/testCertificate.js';

// HMAC-SHA256 built by hand from SHA-256 (RFC 2104), independent of the code under test.
function hmacSha256Hex(key: string, message: string): string {
  let k = Buffer.from(key, 'utf8');
  if (k.length > 64) k = createHash('sha256').update(k).digest();
  k = Buffer.concat([k, Buffer.alloc(64 - k.length)]);
  const pad = (byte: number): Buffer => Buffer.from(k.map((b) => b ^ byte));
  const inner = createHash('sha256').update(pad(0x36)).update(message, 'utf8').digest();
  return createHash('sha256').update(pad(0x5c)).update(inner).digest('hex');
}

const secret = 'whsec_abcdefghijklmnopqrstuvwxyz123456';
const body = '{"type":"invoice.paid","data":{"id":"inv_1","amount":1200}}';
const now = new Date('2026-11-28T01:00:00.000Z');

let receiver: HttpsReceiver;
let deliverer: Deliverer;

function request(overrides: Partial<DeliveryRequest> = {}): DeliveryRequest {
  return { url: receiver.url(), body, secrets: [secret], messageId: 'msg_0193', attemptNo: 1, now, ...overrides };
}

beforeAll(async () => {
  receiver = await startHttpsReceiver();
  deliverer = createDeliverer({ timeoutMs: 2000, connectTimeoutMs: 1000, allowPrivate: true, ca: testCertificate().cert });
});
afterAll(async () => {
  deliverer.close();
  await receiver.close();
});
afterEach(() => {
  receiver.requests.length = 0;
  receiver.setDefault({ status: 200, body: '{"ok":true}' });
});

describe('a delivery that succeeds', () => {
  it('POSTs the raw body, signed, with the webhook headers the receiver needs', async () => {
    receiver.reply({ status: 200, headers: { 'x-receipt': 'r-1' }, body: '{"received":true}' });
    const outcome = await deliverer.deliver(request({ attemptNo: 3 }));

    expect(outcome).toMatchObject({ kind: 'response', status: 200, bodyExcerpt: '{"received":true}', bodyTruncated: false, resolvedIp: '127.0.0.1' });
    if (outcome.kind !== 'response') throw new Error('unreachable');
    expect(outcome.headers['x-receipt']).toBe('r-1');
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);

    const [got] = receiver.requests;
    expect(got?.method).toBe('POST');
    expect(got?.path).toBe('/webhook');
    expect(got?.body).toBe(body);
    expect(got?.headers['content-type']).toBe('application/json');
    expect(got?.headers['user-agent']).toMatch(/^ledgerhook\/\d+\.\d+\.\d+/);
    expect(got?.headers['x-webhook-id']).toBe('msg_0193');
    expect(got?.headers['x-webhook-attempt']).toBe('3');
    expect(got?.headers['x-webhook-timestamp']).toBe(String(now.getTime() / 1000));
    expect(got?.headers['x-webhook-signature']).toBe(`sha256=${hmacSha256Hex(secret, `${now.getTime() / 1000}.${body}`)}`);
  });

  it('signs with every active key during rotation', async () => {
    const second = 'whsec_newabcdefghijklmnopqrstuvwxyz12';
    await deliverer.deliver(request({ secrets: [secret, second] }));
    const signed = `${now.getTime() / 1000}.${body}`;
    expect(receiver.requests[0]?.headers['x-webhook-signature']).toBe(`sha256=${hmacSha256Hex(secret, signed)},sha256=${hmacSha256Hex(second, signed)}`);
  });

  it('sends endpoint and message headers, the message winning a clash, never replacing the webhook headers', async () => {
    await deliverer.deliver(
      request({
        endpointHeaders: { 'X-Tenant': 'acme', 'X-Env': 'endpoint', 'X-Webhook-Id': 'forged' },
        messageHeaders: { 'x-env': 'message', 'X-Trace': 't-9', 'Content-Type': 'text/plain', Host: 'evil.example' },
      }),
    );
    const headers = receiver.requests[0]?.headers;
    expect(headers?.['x-tenant']).toBe('acme');
    expect(headers?.['x-env']).toBe('message');
    expect(headers?.['x-trace']).toBe('t-9');
    expect(headers?.['x-webhook-id']).toBe('msg_0193');
    expect(headers?.['content-type']).toBe('application/json');
    expect(headers?.host).toBe(`127.0.0.1:${receiver.port}`);
  });

  it('reuses one keep-alive connection for consecutive deliveries to an endpoint', async () => {
    const before = receiver.connections();
    for (let i = 0; i < 5; i++) await expect(deliverer.deliver(request({ attemptNo: i + 1 }))).resolves.toMatchObject({ status: 200 });
    expect(receiver.connections() - before).toBeLessThanOrEqual(1);
    expect(new Set(receiver.requests.map((r) => r.connection)).size).toBe(1);
  });

  it('verifies the certificate against the hostname while connecting to the checked address', async () => {
    let lookups = 0;
    // Answers the first look-up with loopback, every later one with an unreachable address: a
    // second look-up at connect time (DNS rebinding) would fail the delivery.
    const rebinding = createDeliverer({
      timeoutMs: 2000,
      connectTimeoutMs: 500,
      allowPrivate: true,
      ca: testCertificate().cert,
      lookup: async () => [{ address: lookups++ === 0 ? '127.0.0.1' : '192.0.2.1', family: 4 }],
    });
    try {
      // receiver.test resolves nowhere but through the injected look-up (and is in the certificate).
      const outcome = await rebinding.deliver(request({ url: `https://receiver.test:${receiver.port}/hooks?x=1` }));
      expect(outcome).toMatchObject({ kind: 'response', status: 200, resolvedIp: '127.0.0.1' });
      expect(lookups).toBe(1);
      expect(receiver.requests[0]?.headers.host).toBe(`receiver.test:${receiver.port}`);
      expect(receiver.requests[0]?.path).toBe('/hooks?x=1');
    } finally {
      rebinding.close();
    }
  });
});

describe('every failure class', () => {
  it.each([500, 502, 503, 404, 400, 401, 410])('reports a %i as the response it is', async (status) => {
    receiver.reply({ status, body: `status ${status}` });
    await expect(deliverer.deliver(request())).resolves.toMatchObject({ kind: 'response', status, bodyExcerpt: `status ${status}` });
  });

  it('hands a 429 Retry-After to the caller raw', async () => {
    receiver.reply({ status: 429, headers: { 'Retry-After': '120' } });
    await expect(deliverer.deliver(request())).resolves.toMatchObject({ kind: 'response', status: 429, retryAfter: '120' });
    receiver.reply({ status: 503, headers: { 'Retry-After': 'Sat, 28 Nov 2026 02:00:00 GMT' } });
    await expect(deliverer.deliver(request())).resolves.toMatchObject({ status: 503, retryAfter: 'Sat, 28 Nov 2026 02:00:00 GMT' });
  });

  it('does not follow a redirect', async () => {
    receiver.reply({ status: 302, headers: { Location: `https://127.0.0.1:${receiver.port}/elsewhere` } });
    const outcome = await deliverer.deliver(request());
    expect(outcome).toMatchObject({ kind: 'response', status: 302 });
    expect(receiver.requests.map((r) => r.path)).toEqual(['/webhook']);
  });

  it('caps the body excerpt and the recorded headers', async () => {
    const many = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`x-h${i}`, 'v'.repeat(20)]));
    receiver.reply({ status: 500, headers: many, body: 'é'.repeat(5000) });
    const outcome = await deliverer.deliver(request());
    if (outcome.kind !== 'response') throw new Error(`expected a response, got ${outcome.message}`);
    expect(Buffer.byteLength(outcome.bodyExcerpt)).toBeLessThanOrEqual(1024);
    expect(outcome.bodyExcerpt).toBe('é'.repeat(512));
    expect(outcome.bodyTruncated).toBe(true);
    expect(Object.keys(outcome.headers).length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(outcome.headers).length).toBeLessThan(4096 + 50 * 8);
    expect(outcome.headersTruncated).toBe(true);
  });

  it('stops reading a huge body and still reports the status', async () => {
    receiver.reply({ status: 200, body: 'x'.repeat(2 * 1024 * 1024) });
    const outcome = await deliverer.deliver(request());
    expect(outcome).toMatchObject({ kind: 'response', status: 200, bodyTruncated: true });
  });

  it('times out a receiver that never answers', async () => {
    const quick = createDeliverer({ timeoutMs: 300, connectTimeoutMs: 300, allowPrivate: true, ca: testCertificate().cert });
    receiver.reply({ hang: true });
    try {
      await expect(quick.deliver(request())).resolves.toMatchObject({ kind: 'error', reason: 'timeout', resolvedIp: '127.0.0.1' });
    } finally {
      quick.close();
    }
  });

  it('times out a TCP connection whose TLS handshake never completes', async () => {
    const silent = createServer(() => {}); // accepts, never speaks TLS
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const quick = createDeliverer({ timeoutMs: 2000, connectTimeoutMs: 200, allowPrivate: true, ca: testCertificate().cert });
    try {
      const outcome = await quick.deliver(request({ url: `https://127.0.0.1:${port}/` }));
      expect(outcome).toMatchObject({ kind: 'error', reason: 'timeout' });
      if (outcome.kind === 'error') expect(outcome.message).toMatch(/TLS connection within 200 ms/);
    } finally {
      quick.close();
      silent.close();
    }
  });

  it('reports a refused connection as a network error', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const outcome = await deliverer.deliver(request({ url: `https://127.0.0.1:${port}/` }));
    expect(outcome).toMatchObject({ kind: 'error', reason: 'network' });
    if (outcome.kind === 'error') expect(outcome.message).toMatch(/ECONNREFUSED/);
  });

  it('reports a connection reset before any answer as a network error', async () => {
    // A fresh deliverer: its first request rides a new connection, which is never retried.
    const fresh = createDeliverer({ timeoutMs: 2000, connectTimeoutMs: 1000, allowPrivate: true, ca: testCertificate().cert });
    receiver.reply({ reset: true });
    try {
      const outcome = await fresh.deliver(request());
      expect(outcome).toMatchObject({ kind: 'error', reason: 'network' });
      expect(receiver.requests).toHaveLength(1);
    } finally {
      fresh.close();
    }
  });

  it('tries once more on a fresh connection when a reused one is reset, but only once', async () => {
    await deliverer.deliver(request()); // warm the pooled connection
    receiver.requests.length = 0;
    receiver.reply({ reset: true });
    await expect(deliverer.deliver(request())).resolves.toMatchObject({ kind: 'response', status: 200 });
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[0]?.connection).not.toBe(receiver.requests[1]?.connection);

    receiver.requests.length = 0;
    receiver.reply({ reset: true }, { reset: true });
    await expect(deliverer.deliver(request())).resolves.toMatchObject({ kind: 'error', reason: 'network' });
    expect(receiver.requests).toHaveLength(2);
  });

  it('after a dead pooled connection, retries on a fresh one rather than on its likely dead siblings', async () => {
    const pooled = createDeliverer({ timeoutMs: 2000, connectTimeoutMs: 1000, allowPrivate: true, ca: testCertificate().cert });
    try {
      // Three deliveries at once open three pooled connections.
      receiver.reply({ status: 200, delayMs: 50 }, { status: 200, delayMs: 50 }, { status: 200, delayMs: 50 });
      await Promise.all([1, 2, 3].map(() => pooled.deliver(request())));
      const warm = new Set(receiver.requests.map((r) => r.connection));
      expect(warm.size).toBe(3);
      receiver.requests.length = 0;
      // Every warm connection now behaves as if the receiver had dropped it.
      const dropWarm = (r: { connection: number }): Reply => (warm.has(r.connection) ? { reset: true } : { status: 200 });
      receiver.reply(dropWarm, dropWarm);
      await expect(pooled.deliver(request())).resolves.toMatchObject({ kind: 'response', status: 200 });
      expect(receiver.requests).toHaveLength(2);
      expect(warm.has(receiver.requests[1]?.connection ?? 0)).toBe(false);
    } finally {
      pooled.close();
    }
  });

  it('waits for a slow answer longer than the idle-socket timeout', async () => {
    const patient = createDeliverer({ timeoutMs: 2000, connectTimeoutMs: 1000, idleSocketMs: 50, allowPrivate: true, ca: testCertificate().cert });
    receiver.reply({ status: 202, delayMs: 200 });
    try {
      await expect(patient.deliver(request())).resolves.toMatchObject({ kind: 'response', status: 202 });
    } finally {
      patient.close();
    }
  });

  it('refuses a certificate it does not trust', async () => {
    const strict = createDeliverer({ timeoutMs: 2000, connectTimeoutMs: 1000, allowPrivate: true });
    try {
      const outcome = await strict.deliver(request());
      expect(outcome).toMatchObject({ kind: 'error', reason: 'tls' });
      expect(receiver.requests).toHaveLength(0);
    } finally {
      strict.close();
    }
  });

  it('reports an unknown host as a DNS failure', async () => {
    const failing = createDeliverer({
      timeoutMs: 1000,
      connectTimeoutMs: 500,
      allowPrivate: false,
      lookup: async (host) => {
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      },
    });
    await expect(failing.deliver(request({ url: 'https://no-such-host.example/' }))).resolves.toMatchObject({ kind: 'error', reason: 'dns' });
    failing.close();
  });

  it('counts a resolver that never answers against the total timeout', async () => {
    const stuck = createDeliverer({ timeoutMs: 150, connectTimeoutMs: 100, allowPrivate: false, lookup: () => new Promise(() => {}) });
    const outcome = await stuck.deliver(request({ url: 'https://slow-dns.example/' }));
    expect(outcome).toMatchObject({ kind: 'error', reason: 'timeout' });
    if (outcome.kind === 'error') expect(outcome.message).toMatch(/DNS/);
    stuck.close();
  });

  it.each(['http://127.0.0.1/hook', 'ftp://example.com/', 'not a url', 'https://user:pass@example.com/'])('refuses the endpoint URL %s', async (url) => {
    await expect(deliverer.deliver(request({ url }))).resolves.toMatchObject({ kind: 'error', reason: 'invalid_url' });
  });

  it('refuses a custom header HTTP cannot carry, and a message with no signing key', async () => {
    await expect(deliverer.deliver(request({ messageHeaders: { 'X-Bad': 'line\r\nInjected: 1' } }))).resolves.toMatchObject({
      kind: 'error',
      reason: 'invalid_request',
    });
    await expect(deliverer.deliver(request({ secrets: [] }))).resolves.toMatchObject({ kind: 'error', reason: 'invalid_request' });
    expect(receiver.requests).toHaveLength(0);
  });
});
