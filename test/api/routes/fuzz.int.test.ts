import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedEndpoint, startRoutesHarness, type RoutesHarness } from '../../support/routesHarness.js';

/**
 * Property: whatever a caller sends to send or create-endpoint, the answer is never a 5xx,
 * and a refused request appends nothing to the log (an accepted one does).
 */
let h: RoutesHarness;
let endpoint: string;
let foreign: string;

beforeAll(async () => {
  h = await startRoutesHarness();
  endpoint = await seedEndpoint(h, h.a);
  foreign = await seedEndpoint(h, h.b);
});
afterAll(() => h.close());

/** Accepted requests per path: the generators must reach the success path too. */
const accepted = new Map<string, number>();
const head = async () => String(await h.store.headPosition());

async function checkOne(init: { raw?: string; body?: unknown; contentType?: string }, path: string, okStatus: number): Promise<void> {
  const before = await head();
  const response = await h.request('POST', path, {
    ...(init.raw !== undefined ? { raw: init.raw } : { body: init.body }),
    headers: { 'content-type': init.contentType ?? 'application/json' },
  });
  const after = await head();
  expect(response.status, response.text).toBeLessThan(500);
  if (response.status === okStatus) {
    accepted.set(path, (accepted.get(path) ?? 0) + 1);
    expect(after).not.toBe(before);
  } else {
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.body.error?.code).toMatch(/^[A-Z_]+$/);
    expect(after, `${response.status} ${response.text}`).toBe(before);
  }
}

const headerName = fc.oneof(
  fc.constantFrom('Host', 'authorization', 'X-Webhook-Id', 'Content-Type', 'X-Tenant', 'X-Trace-Id', 'x-tenant', 'Bad Name', '', 'X-\u00e9'),
  fc.string({ maxLength: 20 }),
);
const headerValue = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('a\r\nInjected: 1', 'tab\there', '\u20ac', 'ok'), fc.integer() as fc.Arbitrary<unknown>);
const wildHeaders = fc.oneof(fc.dictionary(headerName, headerValue, { maxKeys: 6 }) as fc.Arbitrary<unknown>, fc.constantFrom(null, 'x', [1]));
const fineHeaders = fc.dictionary(fc.stringMatching(/^X-[A-Za-z0-9-]{1,12}$/), fc.stringMatching(/^[ -~]{0,30}$/), { maxKeys: 5 }) as fc.Arbitrary<unknown>;
/** Mostly valid, sometimes not: so both the refusals and the success path are exercised. */
const mostly = (valid: fc.Arbitrary<unknown>, wild: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: wild, weight: 1 });
const maybe = (value: fc.Arbitrary<unknown>) => fc.option(value, { nil: undefined, freq: 2 });
const headers = maybe(mostly(fineHeaders, wildHeaders));

describe('fuzzing', () => {
  it('send: no 5xx, and nothing appended by a refused request', async () => {
    const sendBody = fc.record({
      endpoint_id: mostly(fc.constant(endpoint), fc.oneof(fc.constant(foreign), fc.constant('ep_' + '0'.repeat(32)), fc.string({ maxLength: 40 }), fc.integer())),
      payload: mostly(fc.object({ maxDepth: 3 }), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom({ constructor: { name: 1 } }))),
      headers,
      idempotency_key: maybe(mostly(fc.string({ minLength: 1, maxLength: 50 }), fc.oneof(fc.string({ maxLength: 300 }), fc.integer()))),
      retention_hours: maybe(mostly(fc.integer({ min: 0, max: 8760 }), fc.oneof(fc.integer({ min: -5, max: 10_000 }), fc.double()))),
      extra: fc.option(fc.anything({ maxDepth: 1 }), { nil: undefined, freq: 8 }),
    });
    await fc.assert(fc.asyncProperty(sendBody, async (body) => checkOne({ body }, '/v1/webhooks/send', 202)), { numRuns: 200 });
    expect(accepted.get('/v1/webhooks/send')).toBeGreaterThan(0);
  });

  it('send: raw text and odd content types never give a 5xx', async () => {
    const raw = fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 2 }), fc.constantFrom('{"__proto__":{"x":1}}', '{"payload":{"constructor":{"prototype":{}}}}', '\uFEFF{}', '[]', 'null', '{"endpoint_id":'));
    const contentType = fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded');
    await fc.assert(fc.asyncProperty(raw, contentType, async (text, type) => checkOne({ raw: text, contentType: type }, '/v1/webhooks/send', 202)), { numRuns: 100 });
  });

  it('create endpoint: no 5xx, and nothing appended by a refused request', async () => {
    const url = fc.oneof(
      fc.webUrl({ validSchemes: ['https', 'http'], withQueryParameters: true, withFragments: true }),
      fc.string({ maxLength: 60 }),
      fc.constantFrom('https://127.0.0.1/x', 'https://[::1]/x', 'https://localhost/x', 'https://169.254.169.254/', 'https://0/x', 'https://[fe80::1%25eth0]/x', 'https:///x', 'https://a.b'),
      fc.integer() as fc.Arbitrary<unknown>,
    );
    const endpointBody = fc.record({
      url: mostly(fc.webUrl({ validSchemes: ['https'], withQueryParameters: true, withFragments: true }), url),
      description: maybe(mostly(fc.string({ maxLength: 500 }), fc.oneof(fc.string({ maxLength: 600 }), fc.constant(null)))),
      rate_limit_rps: maybe(mostly(fc.integer({ min: 0, max: 1000 }), fc.oneof(fc.integer({ min: -10, max: 2000 }), fc.double()))),
      burst: maybe(mostly(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: -10, max: 20_000 }))),
      headers,
      extra: fc.option(fc.anything({ maxDepth: 1 }), { nil: undefined, freq: 8 }),
    });
    await fc.assert(fc.asyncProperty(endpointBody, async (body) => checkOne({ body }, '/v1/endpoints', 201)), { numRuns: 200 });
    expect(accepted.get('/v1/endpoints')).toBeGreaterThan(0);
  });
});
