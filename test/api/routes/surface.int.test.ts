import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogCapture } from '../apiHarness.js';
import { seedEndpoint, startRoutesHarness, type RoutesHarness } from '../../support/routesHarness.js';

/** What spans every route: the OpenAPI document, secrets kept out of logs, lists without read models. */
let h: RoutesHarness;
const logs = new LogCapture();

beforeAll(async () => {
  h = await startRoutesHarness({ logTo: logs });
});
afterAll(() => h.close());

describe('OpenAPI', () => {
  it('documents every resource route with its parameters and responses', async () => {
    const response = await fetch(`${h.url}/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { paths: Record<string, Record<string, { parameters: { name: string; in: string }[]; responses: Record<string, unknown>; requestBody?: unknown }>> };
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations).toEqual(
      expect.arrayContaining([
        'POST /v1/webhooks/send',
        'GET /v1/messages/{id}',
        'GET /v1/messages/{id}/attempts',
        'GET /v1/messages/{id}/events',
        'POST /v1/messages/{id}/retry-now',
        'POST /v1/messages/{id}/cancel',
        'POST /v1/messages/{id}/replay',
        'POST /v1/messages/replay-all',
        'POST /v1/messages/replay-batch',
        'GET /v1/logs',
        'GET /v1/metrics',
        'GET /v1/metrics/timeseries',
        'GET /v1/dlq/messages',
        'POST /v1/dlq/replay/{id}',
        'POST /v1/endpoints',
        'GET /v1/endpoints',
        'GET /v1/endpoints/{id}',
        'PATCH /v1/endpoints/{id}',
        'DELETE /v1/endpoints/{id}',
        'POST /v1/endpoints/{id}/pause',
        'POST /v1/endpoints/{id}/resume',
        'POST /v1/endpoints/{id}/signing-keys',
        'GET /v1/endpoints/{id}/signing-keys',
        'DELETE /v1/endpoints/{id}/signing-keys/{keyId}',
        'POST /v1/api-keys',
        'GET /v1/api-keys',
        'DELETE /v1/api-keys/{key_id}',
      ]),
    );
    const retryNow = doc.paths['/v1/messages/{id}/retry-now']?.['post'];
    expect(retryNow?.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path' })]);
    expect(Object.keys(retryNow?.responses ?? {}).sort()).toStrictEqual(['200', '400', '401', '404']);
    expect(doc.paths['/v1/webhooks/send']?.['post']?.requestBody).toBeDefined();
    expect(doc.paths['/v1/logs']?.['get']?.parameters.map((p) => p.name).sort()).toStrictEqual(['cursor', 'end_time', 'endpoint_id', 'limit', 'start_time', 'status']);
  });
});

describe('secrets', () => {
  it('never writes a signing secret or an API key to the log', async () => {
    const endpoint = await h.request('POST', '/v1/endpoints', { body: { url: 'https://secrets.example.com/h' } });
    const id = (endpoint.body.data as { id: string }).id;
    const key = await h.request('POST', `/v1/endpoints/${id}/signing-keys`);
    const apiKey = await h.request('POST', '/v1/api-keys', { body: { label: 'x' } });
    const secrets = [
      (endpoint.body.data as { signing_secret: string }).signing_secret,
      (key.body.data as { signing_secret: string }).signing_secret,
      (apiKey.body.data as { key: string }).key,
      h.a.key,
    ];
    expect(logs.raw.length).toBeGreaterThan(0);
    const all = logs.raw.join('\n');
    for (const secret of secrets) expect(all).not.toContain(secret);
    expect(all).not.toContain('whsec_');
  });
});

describe('without read models', () => {
  it('answers the list routes 503 SERVICE_UNAVAILABLE and still serves aggregate-backed routes', async () => {
    const bare = await startRoutesHarness({ withoutReadModels: true });
    try {
      for (const path of ['/v1/logs', '/v1/metrics', '/v1/metrics/timeseries', '/v1/dlq/messages', '/v1/endpoints']) {
        const response = await bare.request('GET', path);
        expect({ path, status: response.status, code: response.body.error?.code }).toStrictEqual({ path, status: 503, code: 'SERVICE_UNAVAILABLE' });
      }
      expect((await bare.request('POST', '/v1/messages/replay-all?status=queued')).status).toBe(503);
      const endpoint = await seedEndpoint(bare, bare.a);
      expect((await bare.request('GET', `/v1/endpoints/${endpoint}`)).status).toBe(200);
      expect((await bare.request('POST', '/v1/webhooks/send', { body: { endpoint_id: endpoint, payload: {} } })).status).toBe(202);
      // DUPLICATE_URL falls back to folding the project's endpoints from the log.
      const url = 'https://dup.example.com/hook';
      expect((await bare.request('POST', '/v1/endpoints', { body: { url } })).status).toBe(201);
      expect((await bare.request('POST', '/v1/endpoints', { body: { url } })).body.error?.code).toBe('DUPLICATE_URL');
      expect((await bare.request('POST', '/v1/endpoints', { body: { url }, tenant: bare.b })).status).toBe(201);
      const resumed = await bare.request('POST', `/v1/endpoints/${endpoint}/resume`);
      expect(resumed.body.data).toStrictEqual({ id: endpoint, paused: false, messages_requeued: 0 });
    } finally {
      await bare.close();
    }
  });
});
