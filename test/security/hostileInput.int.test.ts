import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingRetryMessage, seedEndpoint, startRoutesHarness, type RoutesHarness } from '../support/routesHarness.js';

// Hostile input on every route of the API (the list comes from /openapi.json): generated ids,
// query strings, bodies and content types, plus a fixed table of known-nasty inputs (1 MB + 1
// byte, 10,000-level nesting, invalid UTF-8, huge numbers, prototype-pollution keys, CRLF and
// forbidden names in custom headers). For every answer: no 5xx; an error is exactly the
// reference's envelope; a refused request appends nothing to the log. FUZZ_RUNS sets the cases
// per route (a few dozen in `npm test`; the long form is FUZZ_RUNS=1000).
const runs = Number(process.env.FUZZ_RUNS ?? 25);

let h: RoutesHarness;
let routes: { method: string; path: string }[];
let known: { endpoint: string; foreignEndpoint: string; message: string; signingKey: string; apiKey: string };

beforeAll(async () => {
  h = await startRoutesHarness();
  const endpoint = await seedEndpoint(h, h.a);
  const foreignEndpoint = await seedEndpoint(h, h.b);
  const message = await pendingRetryMessage(h, endpoint);
  const signing = await h.request('POST', `/v1/endpoints/${endpoint}/signing-keys`);
  const apiKey = await h.request('POST', '/v1/api-keys', { body: { label: 'fuzz' } });
  known = {
    endpoint,
    foreignEndpoint,
    message,
    signingKey: (signing.body.data as { id: string }).id,
    apiKey: (apiKey.body.data as { key_id: string }).key_id,
  };
  const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
});
afterAll(() => h.close());

interface Answer {
  status: number;
  text: string;
  requestId: string | null;
}

async function send(method: string, path: string, body: string | Buffer | undefined, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${h.url}${path}`, {
    method,
    headers: { ...h.a.auth, ...headers },
    ...(body === undefined || method === 'GET' ? {} : { body }),
  });
  return { status: response.status, text: await response.text(), requestId: response.headers.get('x-request-id') };
}

/** The checks every answer must pass; `before` is the log head before the request. */
async function check(label: string, answer: Answer, before: bigint | 'start'): Promise<void> {
  expect(answer.status, `${label}: ${answer.text.slice(0, 300)}`).toBeLessThan(500);
  expect(answer.requestId, label).toMatch(/^req_/);
  if (answer.status < 400) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    parsed = answer.text;
  }
  expect(parsed, label).toEqual({
    error: { code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String), ...(hasDetails(parsed) ? { details: expect.anything() } : {}) },
    meta: { request_id: answer.requestId },
  });
  expect(await h.store.headPosition(), `${label}: a refused request appended`).toBe(before);
}

const hasDetails = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && 'error' in value && typeof value.error === 'object' && value.error !== null && 'details' in value.error;

const idArb = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...Object.values(known)),
    fc.constantFrom('..', '%2e%2e%2f', 'ep_' + '0'.repeat(32), '00000000-0000-7000-8000-000000000000', 'sk_' + 'f'.repeat(32), '%00', 'a'.repeat(3000), '%F0%9F%92%A9', '%ff'),
    fc.string({ maxLength: 40 }).map((s) => encodeURIComponent(s)),
  );

const queryArb = fc.dictionary(fc.constantFrom('limit', 'cursor', 'status', 'endpoint_id', 'start_time', 'end_time', 'as_of', 'window', 'interval', 'x', '__proto__'), fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('-1', '1e400', '18446744073709551616', 'NaN', '0x10', 'queued', 'succeeded', '2026-01-01T00:00:00Z')), { maxKeys: 4 });

const bodyArb = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.record({
    endpoint_id: fc.oneof(fc.constant('$endpoint'), fc.string({ maxLength: 20 })),
    payload: fc.oneof(fc.object({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 })),
    url: fc.oneof(fc.webUrl({ validSchemes: ['https'] }), fc.string({ maxLength: 30 })),
    headers: fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(fc.string({ maxLength: 20 }), fc.constant('a\r\nInjected: 1')), { maxKeys: 3 }),
    message_ids: fc.array(fc.oneof(fc.constant('$message'), fc.uuid()), { maxLength: 4 }),
    label: fc.string({ maxLength: 120 }),
    description: fc.string({ maxLength: 30 }),
    rate_limit_rps: fc.oneof(fc.integer(), fc.double()),
  }, { requiredKeys: [] }).map((v) => JSON.stringify(v).replaceAll('"$endpoint"', JSON.stringify(known.endpoint)).replaceAll('"$message"', JSON.stringify(known.message))),
  fc.string({ maxLength: 100 }),
  fc.constantFrom('{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '\uFEFF{}', '{', 'null', '[]', '1e400', '{"a":1e400}'),
);

const contentTypeArb = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', '');

describe('hostile input on every route', () => {
  it('reaches every documented route', () => {
    expect(routes.length).toBeGreaterThanOrEqual(27);
  });

  it(`answers ${runs} generated requests per route without a 5xx, in the envelope, appending nothing when refused`, async () => {
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(fc.array(idArb(), { minLength: 2, maxLength: 2 }), queryArb, bodyArb, contentTypeArb, async ([id, keyId], query, body, contentType) => {
          const path = route.path.replace('{id}', id as string).replace(/\{[a-z_A-Z]+\}/, keyId as string);
          const search = new URLSearchParams(query).toString();
          const before = await h.store.headPosition();
          const answer = await send(route.method, `${path}${search === '' ? '' : `?${search}`}`, body, contentType === '' ? {} : { 'content-type': contentType });
          await check(`${route.method} ${path}?${search} ${body.slice(0, 80)}`, answer, before);
        }),
        { numRuns: runs },
      );
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 30_000 + runs * 30 * 25);

  it('refuses the known-nasty inputs on every route that takes a body', async () => {
    const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const bigPayload = (): string => {
      const envelope = JSON.stringify({ endpoint_id: known.endpoint, payload: { blob: '' } });
      return envelope.replace('"blob":""', `"blob":"${'x'.repeat(1024 * 1024 + 1 - envelope.length + 2)}"`);
    };
    const withHeaders = (headers: Record<string, string>): string => JSON.stringify({ endpoint_id: known.endpoint, url: 'https://hooks.example.com/nasty', payload: { a: 1 }, headers });
    const nasty: [string, string | Buffer][] = [
      ['1 MB + 1 byte', bigPayload()],
      ['10,000-level nested object', nested(10_000)],
      ['10,000-level nested array', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
      ['nested payload', JSON.stringify({ endpoint_id: known.endpoint, payload: 0 }).replace('0', nested(10_000))],
      ['invalid UTF-8', Buffer.concat([Buffer.from(`{"endpoint_id":"${known.endpoint}","payload":{"s":"`), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}}')])],
      ['lone surrogate escape', `{"endpoint_id":"${known.endpoint}","payload":{"s":"\\ud800"}}`],
      ['1e400', `{"endpoint_id":"${known.endpoint}","payload":{"n":1e400},"rate_limit_rps":1e400,"burst":1e400,"retention_hours":1e400}`],
      ['2^64', `{"endpoint_id":"${known.endpoint}","payload":{"n":18446744073709551616},"rate_limit_rps":18446744073709551616,"retention_hours":18446744073709551616}`],
      ['-0 and tiny', `{"endpoint_id":"${known.endpoint}","payload":{"n":-0},"rate_limit_rps":-0,"burst":1e-400}`],
      ['__proto__', `{"__proto__":{"polluted":true},"endpoint_id":"${known.endpoint}","payload":{"__proto__":{"polluted":true}}}`],
      ['constructor.prototype', `{"constructor":{"prototype":{"polluted":true}},"endpoint_id":"${known.endpoint}","payload":{"constructor":{"prototype":{"polluted":true}}}}`],
      ['CRLF in a header value', withHeaders({ 'X-Tenant': 'a\r\nX-Injected: 1' })],
      ['LF in a header value', withHeaders({ 'X-Tenant': 'a\nX-Injected: 1' })],
      ['CRLF in a header name', withHeaders({ 'X-A\r\nX-Injected': '1' })],
      ['NUL in a header value', withHeaders({ 'X-Tenant': 'a\u0000b' })],
      ['Host header', withHeaders({ Host: 'evil.example' })],
      ['Content-Length header', withHeaders({ 'Content-Length': '0' })],
      ['Transfer-Encoding header', withHeaders({ 'Transfer-Encoding': 'chunked' })],
      ['signature header', withHeaders({ 'X-Webhook-Signature': 'sha256=forged' })],
      ['name with a space', withHeaders({ 'Bad Name': 'x' })],
      ['empty name', withHeaders({ '': 'x' })],
      ['non-ASCII name', withHeaders({ 'X-\u00e9': 'x' })],
    ];
    const bodyRoutes = routes.filter((r) => r.method !== 'GET' && r.method !== 'DELETE');
    const forbiddenAccepted: string[] = [];
    for (const route of bodyRoutes) {
      const path = route.path.replace('{id}', route.path.startsWith('/v1/endpoints') ? known.endpoint : known.message).replace('{keyId}', known.signingKey);
      for (const [label, body] of nasty) {
        const before = await h.store.headPosition();
        const answer = await send(route.method, path, body, { 'content-type': 'application/json' });
        await check(`${route.method} ${path} with ${label}`, answer, before);
        // A forbidden or broken custom header must never be stored for delivery.
        if (label.includes('header') || label.includes('name')) {
          if ((route.path === '/v1/webhooks/send' || route.path === '/v1/endpoints' || route.method === 'PATCH') && answer.status < 300) forbiddenAccepted.push(`${route.method} ${route.path}: ${label} -> ${answer.status}`);
        }
        if (label === '1 MB + 1 byte' && route.path === '/v1/webhooks/send') expect(answer.status).toBe(400);
      }
    }
    expect(forbiddenAccepted).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
