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

describe('ops endpoints', () => {
  it('/health is 200 ok without a key', async () => {
    const res = await fetch(`${h.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toMatch(REQUEST_ID);
  });

  it('/ready is 503 with reasons until readiness says ready, then 200', async () => {
    const before = await fetch(`${h.url}/ready`);
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({ status: 'not_ready', reasons: ['store unreachable'] });
    h.setReadiness({ ready: true });
    const after = await fetch(`${h.url}/ready`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: 'ready' });
  });

  it('/metrics counts requests by route template, method and status, plus process metrics', async () => {
    await fetch(`${h.url}/v1/things/01935abc-def0-7123-4567-890abcdef012`, { headers: auth });
    await fetch(`${h.url}/v1/things/01935abc-def0-7123-4567-890abcdef013`, { headers: auth });
    await fetch(`${h.url}/no/such/path`);
    const res = await fetch(`${h.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/v1\/things\/:id",status="200"\} 2/);
    expect(text).toMatch(/http_requests_total\{method="GET",route="unmatched",status="404"\} 1/);
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.001",method="GET",route="/v1/things/:id",status="200"}');
    expect(text).not.toContain('890abcdef012');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('/openapi.json is an OpenAPI 3.1 document built from the route schemas', async () => {
    const res = await fetch(`${h.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { parameters: { name: string; in: string; required: boolean }[]; requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; responses: Record<string, unknown>; security?: unknown[] }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const get = doc.paths['/v1/things/{id}']?.['get'];
    expect(get?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path', required: true }), expect.objectContaining({ name: 'limit', in: 'query', required: false })]),
    );
    expect(get?.responses).toHaveProperty('401');
    expect(get?.responses['200']).toMatchObject({
      content: { 'application/json': { schema: { type: 'object', required: ['data', 'meta'], properties: { data: { required: ['id', 'limit'] } } } } },
    });
    expect(get?.responses['404']).toMatchObject({ content: { 'application/json': { schema: { required: ['error', 'meta'] } } } });
    const body = doc.paths['/v1/things']?.['post']?.requestBody?.content['application/json']?.schema;
    expect(body).toMatchObject({ type: 'object', required: ['name', 'endpoint_id'], additionalProperties: false });
    expect(body?.['properties']).toMatchObject({ endpoint_id: { type: 'string', pattern: '^ep_[a-f0-9]{32}$' } });
    expect(doc.paths['/v1/public']?.['get']?.security).toEqual([]);
  });
});

describe('request-scoped logging', () => {
  it('gives log lines written below the route the request id, with secrets redacted', async () => {
    const res = await fetch(`${h.url}/v1/deep-log`, { headers: auth });
    const id = res.headers.get('x-request-id');
    const { data } = (await res.json()) as { data: { request_id: string; scope_holds_request_data: boolean } };
    expect(data.request_id).toBe(id);
    // Async work a request starts can outlive it and keeps its scope alive: never the body with it.
    expect(data.scope_holds_request_data).toBe(false);
    const line = h.logs.lines.find((l) => l['msg'] === 'deep log line');
    expect(line?.['request_id']).toBe(id);
    expect(line?.['api_key']).toBe('[redacted]');
    expect(line?.['endpoint']).toEqual({ signing_secret: '[redacted]' });
    expect(h.logs.raw.join('\n')).not.toContain(API_KEY);
    expect(h.logs.raw.join('\n')).not.toContain('whsec_topsecret');
  });
});

describe('request deadline', () => {
  it('answers 503 SERVICE_UNAVAILABLE in the envelope when a handler hangs past the deadline', async () => {
    const slow = await startHarness({ requestDeadlineMs: 100 });
    try {
      const res = await fetch(`${slow.url}/v1/hang`, { headers: auth });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        error: { code: 'SERVICE_UNAVAILABLE', message: 'Service temporarily unavailable, retry shortly' },
        meta: { request_id: res.headers.get('x-request-id') },
      });
      expect((await fetch(`${slow.url}/health`)).status).toBe(200);
    } finally {
      await slow.close();
    }
  });
});
