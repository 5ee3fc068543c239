import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from './apiHarness.js';
import { auth, startHarness } from './apiHarness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const path = '/v1/things/01935abc-def0-7123-4567-890abcdef012';

describe('API-key auth', () => {
  it('asks the key store once for many requests with the same key', async () => {
    h = await startHarness();
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await fetch(`${h.url}${path}`, { headers: auth })).status);
    statuses.push(...(await Promise.all(Array.from({ length: 10 }, async () => (await fetch(`${h!.url}${path}`, { headers: auth })).status))));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(h.lookup.calls).toBe(1);
  });

  it('refuses a client with 429 RATE_LIMITED after too many failed attempts, even with a good key', async () => {
    h = await startHarness({ failedAuth: { maxFailures: 3, windowMs: 60_000 } });
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${h.url}${path}`, { headers: { authorization: `Bearer wrong_${i}_key_value` } })).status).toBe(401);
    }
    const limited = await fetch(`${h.url}${path}`, { headers: { authorization: 'Bearer wrong_again_key_value' } });
    expect(limited.status).toBe(429);
    const body = (await limited.json()) as { error: { code: string; message: string }; meta: { request_id: string } };
    expect(body.error.code).toBe('RATE_LIMITED');
    expect(body.meta.request_id).toBe(limited.headers.get('x-request-id'));
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await fetch(`${h.url}${path}`, { headers: auth })).status).toBe(429);
    // Unauthenticated routes are not affected.
    expect((await fetch(`${h.url}/health`)).status).toBe(200);
  });

  it('does not count successes as failures', async () => {
    h = await startHarness({ failedAuth: { maxFailures: 2, windowMs: 60_000 } });
    for (let i = 0; i < 5; i++) expect((await fetch(`${h.url}${path}`, { headers: auth })).status).toBe(200);
  });
});
