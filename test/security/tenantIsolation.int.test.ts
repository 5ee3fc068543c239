import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_ID, pendingRetryMessage, seedEndpoint, startRoutesHarness, type RoutesHarness } from '../support/routesHarness.js';

// Another project's resources are 404 NOT_FOUND (never 403, never the resource) on every route
// that takes an id, and such a call appends nothing. The route list comes from /openapi.json,
// so a route added later without a case here fails the coverage check.
let h: RoutesHarness;
let ids: { endpoint: string; message: string; dlqMessage: string; signingKey: string; apiKey: string };

beforeAll(async () => {
  h = await startRoutesHarness();
  const endpoint = await seedEndpoint(h, h.a);
  const message = await pendingRetryMessage(h, endpoint);
  const dlqMessage = await pendingRetryMessage(h, endpoint);
  expect((await h.request('POST', `/v1/messages/${dlqMessage}/cancel`)).status).toBe(200);
  const signing = await h.request('POST', `/v1/endpoints/${endpoint}/signing-keys`);
  expect(signing.status, signing.text).toBe(201);
  const apiKey = await h.request('POST', '/v1/api-keys', { body: { label: 'a second key' } });
  expect(apiKey.status, apiKey.text).toBe(201);
  ids = {
    endpoint,
    message,
    dlqMessage,
    signingKey: (signing.body.data as { id: string }).id,
    apiKey: (apiKey.body.data as { key_id: string }).key_id,
  };
});
afterAll(() => h.close());

/** Each id-taking operation, called with tenant A's ids. */
const cases = (): { op: string; path: string; body?: unknown }[] => [
  { op: 'GET /v1/endpoints/{id}', path: `/v1/endpoints/${ids.endpoint}` },
  { op: 'PATCH /v1/endpoints/{id}', path: `/v1/endpoints/${ids.endpoint}`, body: { description: 'taken over' } },
  { op: 'DELETE /v1/endpoints/{id}', path: `/v1/endpoints/${ids.endpoint}` },
  { op: 'POST /v1/endpoints/{id}/pause', path: `/v1/endpoints/${ids.endpoint}/pause` },
  { op: 'POST /v1/endpoints/{id}/resume', path: `/v1/endpoints/${ids.endpoint}/resume` },
  { op: 'POST /v1/endpoints/{id}/signing-keys', path: `/v1/endpoints/${ids.endpoint}/signing-keys` },
  { op: 'GET /v1/endpoints/{id}/signing-keys', path: `/v1/endpoints/${ids.endpoint}/signing-keys` },
  { op: 'DELETE /v1/endpoints/{id}/signing-keys/{keyId}', path: `/v1/endpoints/${ids.endpoint}/signing-keys/${ids.signingKey}` },
  { op: 'DELETE /v1/api-keys/{key_id}', path: `/v1/api-keys/${ids.apiKey}` },
  { op: 'GET /v1/messages/{id}', path: `/v1/messages/${ids.message}` },
  { op: 'GET /v1/messages/{id}/events', path: `/v1/messages/${ids.message}/events` },
  { op: 'POST /v1/messages/{id}/retry-now', path: `/v1/messages/${ids.message}/retry-now` },
  { op: 'POST /v1/messages/{id}/cancel', path: `/v1/messages/${ids.message}/cancel` },
  { op: 'POST /v1/messages/{id}/replay', path: `/v1/messages/${ids.dlqMessage}/replay` },
  { op: 'POST /v1/dlq/replay/{id}', path: `/v1/dlq/replay/${ids.dlqMessage}` },
];

describe('tenant isolation', () => {
  it('covers every route with a path parameter', async () => {
    // The attempts list is the one documented exception, checked on its own below.
    const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const idRoutes = Object.entries(doc.paths)
      .filter(([path]) => path.includes('{'))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect([...cases().map((c) => c.op), 'GET /v1/messages/{id}/attempts'].sort()).toEqual(idRoutes.sort());
  });

  it("answers 404 NOT_FOUND to project B on every one of project A's ids, and appends nothing", async () => {
    for (const c of cases()) {
      const [method] = c.op.split(' ') as [string];
      const before = await h.store.headPosition();
      const response = await h.request(method, c.path, { tenant: h.b, ...(c.body === undefined ? {} : { body: c.body }) });
      expect(response.status, `${c.op}: ${response.text}`).toBe(404);
      expect(response.body, c.op).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) }, meta: { request_id: expect.stringMatching(REQUEST_ID) } });
      expect(await h.store.headPosition(), c.op).toBe(before);
    }
  });

  it("answers B's attempts list for A's message exactly as for an id that never existed", async () => {
    // The reference answers an unknown id with an empty list (src/api/routes/messages.ts), so
    // the list must not tell B whether A's message exists, nor show any of it.
    const foreign = await h.request('GET', `/v1/messages/${ids.message}/attempts`, { tenant: h.b });
    const unknown = await h.request('GET', '/v1/messages/01900000-0000-7000-8000-000000000000/attempts', { tenant: h.b });
    expect(foreign.status).toBe(unknown.status);
    expect(foreign.body.data).toEqual([]);
    expect({ ...foreign.body, meta: {} }).toEqual({ ...unknown.body, meta: {} });
    expect((await h.request('GET', `/v1/messages/${ids.message}/attempts`)).body.data).toHaveLength(1);
  });

  it('keeps project A\'s ids out of project B\'s lists and send', async () => {
    // A send names its endpoint in the body: docs/api.md answers 400 ENDPOINT_NOT_FOUND, exactly
    // as for an endpoint that never existed, so the answer tells B nothing about A.
    const before = await h.store.headPosition();
    const send = await h.request('POST', '/v1/webhooks/send', { tenant: h.b, body: { endpoint_id: ids.endpoint, payload: { stolen: true } } });
    const unknown = await h.request('POST', '/v1/webhooks/send', { tenant: h.b, body: { endpoint_id: 'ep_00000000000000000000000000000000', payload: { stolen: true } } });
    expect(send.status, send.text).toBe(400);
    expect(send.body.error).toEqual(unknown.body.error);
    expect(send.body.error?.code).toBe('ENDPOINT_NOT_FOUND');
    expect(await h.store.headPosition()).toBe(before);
    const batch = await h.request('POST', '/v1/messages/replay-batch', { tenant: h.b, body: { message_ids: [ids.message, ids.dlqMessage] } });
    expect(batch.text).not.toMatch(/"status":"(queued|replayed)"/);
    expect(batch.body.data).toMatchObject({ replayed: 0 });
    for (const path of ['/v1/endpoints', '/v1/logs', '/v1/dlq/messages', '/v1/api-keys']) {
      const list = await h.request('GET', path, { tenant: h.b });
      expect(list.status, path).toBe(200);
      for (const id of Object.values(ids)) expect(list.text, `${path} leaks ${id}`).not.toContain(id);
    }
    // A's resources are untouched and still A's.
    expect((await h.request('GET', `/v1/endpoints/${ids.endpoint}`)).status).toBe(200);
    expect((await h.request('GET', `/v1/messages/${ids.message}`)).body.data).toMatchObject({ status: 'pending_retry' });
  });
});
