import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from './apiHarness.js';
import { API_KEY, auth, REQUEST_ID, startHarness } from './apiHarness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const json = { 'content-type': 'application/json' };
const endpointId = `ep_${'a'.repeat(32)}`;
const uuid = '01935abc-def0-7123-4567-890abcdef012';

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(`${h.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

describe('request id and envelopes', () => {
  it('answers success in the envelope, with meta extras and the id echoed in X-Request-Id', async () => {
    const res = await call(`/v1/things/${uuid}?limit=5`, { headers: auth });
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(REQUEST_ID);
    expect(res.body).toEqual({
      data: { id: uuid, limit: 5, project_id: 'proj_test' },
      meta: { has_more: false, next_cursor: null, request_id: id },
    });
  });

  it('puts a top-level message first when the route gives one, and 201 for a create', async () => {
    const res = await call('/v1/things', { method: 'POST', headers: { ...auth, ...json }, body: JSON.stringify({ name: 'a', endpoint_id: endpointId }) });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body ?? {})).toEqual(['message', 'data', 'meta']);
    expect(res.body?.['message']).toBe('Thing created');
  });

  it('gives each request its own id and reuses an incoming id only when it has our shape', async () => {
    const a = await call('/health');
    const b = await call('/health');
    expect(a.headers.get('x-request-id')).toMatch(REQUEST_ID);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
    const ours = 'req_01JDQ0000000000000000000AB';
    expect((await call('/health', { headers: { 'x-request-id': ours } })).headers.get('x-request-id')).toBe(ours);
    const hostile = await call('/health', { headers: { 'x-request-id': 'evil\tvalue<script>' } });
    expect(hostile.headers.get('x-request-id')).toMatch(REQUEST_ID);
  });

  it('answers 401 to the letter of retry-now.md, with the id in header and body', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer nope_not_a_key_at_all' }, { authorization: `Basic ${API_KEY}` }, { authorization: 'Bearer' }]) {
      const res = await call(`/v1/things/${uuid}`, { headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'UNAUTHORIZED', message: 'Invalid or missing API key' }, meta: { request_id: res.headers.get('x-request-id') } });
      expect(res.headers.get('x-request-id')).toMatch(REQUEST_ID);
    }
  });

  it('answers an unknown route 404 NOT_FOUND in the envelope, with an id', async () => {
    const res = await call('/v1/nothing-here', { headers: auth });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: 'Route not found' }, meta: { request_id: res.headers.get('x-request-id') } });
    expect(res.headers.get('x-request-id')).toMatch(REQUEST_ID);
  });

  it('answers a known path with the wrong method 405 with Allow', async () => {
    const res = await call(`/v1/things/${uuid}`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(405);
    expect((res.body?.['error'] as { code: string }).code).toBe('METHOD_NOT_ALLOWED');
    expect(res.headers.get('allow')).toContain('GET');
  });

  it('routes with auth: false need no key', async () => {
    const res = await call('/v1/public');
    expect(res.status).toBe(200);
    expect(res.body?.['data']).toEqual({ authenticated: false });
  });
});

describe('validation', () => {
  const post = (body: string, headers: Record<string, string> = json) => call('/v1/things', { method: 'POST', headers: { ...auth, ...headers }, body });
  const errorOf = (res: { body?: Record<string, unknown> }) => res.body?.['error'] as { code: string; message: string; details?: Record<string, unknown> };

  it('names the field and what to send', async () => {
    const res = await post(JSON.stringify({ name: 'a', endpoint_id: 'ep_1' }));
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('INVALID_REQUEST');
    expect(errorOf(res).message).toBe('endpoint_id must be in format ep_xxx');
    const missing = await post(JSON.stringify({ endpoint_id: endpointId }));
    expect(errorOf(missing).message).toBe('name is required');
    const bad = await call('/v1/things/not-a-uuid', { headers: auth });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toBe('id must be a valid UUID');
    const q = await call(`/v1/things/${uuid}?limit=1000`, { headers: auth });
    expect(errorOf(q).message).toBe('limit must be at most 100');
  });

  it('refuses unknown fields by name', async () => {
    const res = await post(JSON.stringify({ name: 'a', endpoint_id: endpointId, colour: 'red' }));
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({ code: 'INVALID_REQUEST', message: "unknown field 'colour'" });
  });

  it('refuses malformed JSON', async () => {
    const res = await post('{"name": "a",');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'INVALID_REQUEST', message: 'request body must be valid JSON' }, meta: { request_id: res.headers.get('x-request-id') } });
  });

  it('refuses a body that is not application/json', async () => {
    const res = await post(JSON.stringify({ name: 'a', endpoint_id: endpointId }), { 'content-type': 'text/plain' });
    expect(res.status).toBe(400);
    expect(errorOf(res)).toMatchObject({ code: 'INVALID_REQUEST', message: 'Content-Type must be application/json (got text/plain)' });
  });

  it('refuses prototype-pollution keys anywhere in the body and pollutes nothing', async () => {
    const top = await post('{"name":"a","endpoint_id":"' + endpointId + '","__proto__":{"polluted":true}}');
    expect(top.status).toBe(400);
    expect(errorOf(top).message).toBe("request body must not contain the key '__proto__'");
    const nested = await post('{"name":"a","endpoint_id":"' + endpointId + '","payload":{"x":{"constructor":{"prototype":{"polluted":true}}}}}');
    expect(errorOf(nested).message).toBe("request body must not contain the key 'constructor.prototype'");
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const harmless = await post('{"name":"a","endpoint_id":"' + endpointId + '","payload":{"constructor":"fine"}}');
    expect(harmless.status).toBe(201);
  });

  it('refuses a forbidden key spelled with \\u escapes, which the text does not show literally', async () => {
    const escaped = await post('{"name":"a","endpoint_id":"' + endpointId + '","\\u005f_proto__":{"polluted":true}}');
    expect(escaped.status).toBe(400);
    expect(errorOf(escaped).message).toBe("request body must not contain the key '__proto__'");
    const nested = await post('{"name":"a","endpoint_id":"' + endpointId + '","payload":{"\\u0063onstructor":{"prototype":{}}}}');
    expect(errorOf(nested).message).toBe("request body must not contain the key 'constructor.prototype'");
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('keeps the raw body text for the route', async () => {
    const text = `{ "name" : "a",\n "endpoint_id": "${endpointId}" }`;
    const res = await post(text);
    expect((res.body?.['data'] as { raw_length: number }).raw_length).toBe(text.length);
  });
});

describe('body limits', () => {
  it('answers PAYLOAD_TOO_LARGE for 1 MB + 1 on a 1 MB route and accepts exactly 1 MB', async () => {
    const mb = 1024 * 1024;
    const over = await call('/v1/small', { method: 'POST', headers: { ...auth, ...json }, body: `"${'x'.repeat(mb - 1)}"` });
    expect(over.status).toBe(400);
    expect(over.body).toEqual({
      error: { code: 'PAYLOAD_TOO_LARGE', message: 'payload exceeds the 1 MB limit', details: { limit_bytes: mb } },
      meta: { request_id: over.headers.get('x-request-id') },
    });
    const exact = await call('/v1/small', { method: 'POST', headers: { ...auth, ...json }, body: `"${'x'.repeat(mb - 2)}"` });
    expect(exact.status).toBe(200);
    expect(exact.body?.['data']).toEqual({ bytes: mb });
  });

  it('answers before the client has finished sending an oversized chunked body', async () => {
    // The request is never ended: only a server that stops reading at the limit can answer.
    const url = new URL(`${h.url}/v1/things`);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...auth, ...json, 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body: text });
        });
      });
      req.on('error', (e) => (e.message.includes('socket hang up') || 'code' in e ? undefined : reject(e)));
      const chunk = Buffer.alloc(256 * 1024, 'x');
      for (let i = 0; i < 6; i++) req.write(chunk);
    });
    expect(status).toBe(400);
    expect((JSON.parse(body) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('failures', () => {
  it('turns an unexpected throw into 500 INTERNAL_ERROR with no internals, and logs the stack with the request id', async () => {
    const res = await call('/v1/boom', { headers: auth });
    expect(res.status).toBe(500);
    const id = res.headers.get('x-request-id');
    expect(res.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal server error' }, meta: { request_id: id } });
    const logged = h.logs.lines.find((l) => l['request_id'] === id && l['level'] === 50);
    expect((logged?.['err'] as { stack: string }).stack).toContain('kaboom');
  });

  it('turns an unavailable store into 503 SERVICE_UNAVAILABLE without internals', async () => {
    const res = await call('/v1/store-down', { headers: auth });
    expect(res.status).toBe(503);
    expect((res.body?.['error'] as { code: string }).code).toBe('SERVICE_UNAVAILABLE');
    expect(JSON.stringify(res.body)).not.toContain('sqlite');
  });
});

describe('logging', () => {
  it('writes one access line per request with request_id, route template and status, and never the key', async () => {
    const res = await call(`/v1/things/${uuid}`, { headers: { ...auth, 'x-api-key': API_KEY } });
    const id = res.headers.get('x-request-id');
    const access = h.logs.lines.filter((l) => l['request_id'] === id && l['msg'] === 'request');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ method: 'GET', route: '/v1/things/:id', status: 200 });
    expect(typeof access[0]?.['ms']).toBe('number');
    // The fields (and their order) log pipelines parse: the line is built without a per-request child logger.
    expect(Object.keys(access[0] ?? {})).toEqual(['level', 'time', 'service', 'request_id', 'method', 'route', 'path', 'status', 'ms', 'msg']);
    expect(h.logs.raw.join('\n')).not.toContain(API_KEY);
  });
});
