import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectStream } from '../../../src/domain/index.js';
import { startRoutesHarness, type RoutesHarness, type Tenant } from '../../support/routesHarness.js';

/** API keys: create (shown once), list (prefix only), delete (refused by auth at once). */
let h: RoutesHarness;

beforeAll(async () => {
  h = await startRoutesHarness();
});
afterAll(() => h.close());

const asKey = (key: string): Tenant => ({ ...h.a, key, auth: { authorization: `Bearer ${key}` } });

describe('api keys', () => {
  it('creates a key shown once, with its 11-character prefix, and the key works at once', async () => {
    const response = await h.request('POST', '/v1/api-keys', { body: { label: 'Production backend' } });
    expect(response.status).toBe(201);
    const data = response.body.data as { key_id: string; key: string; prefix: string; label: string; created_at: string };
    expect(data).toStrictEqual({ key_id: expect.stringMatching(/^key_/), key: expect.stringMatching(/^hb_live_[A-Za-z0-9]{32}$/), prefix: data.key.slice(0, 11), label: 'Production backend', created_at: h.now.toISOString() });
    expect((await h.request('GET', '/v1/api-keys', { tenant: asKey(data.key) })).status).toBe(200);
    const events = await h.events(projectStream(h.a.project_id));
    expect(JSON.stringify(events.map((e) => [e.data, e.metadata]))).not.toContain(data.key);
  });

  it('accepts an empty body, no body, and mode test', async () => {
    expect((await h.request('POST', '/v1/api-keys', { body: {} })).status).toBe(201);
    expect((await h.request('POST', '/v1/api-keys')).status).toBe(201);
    const test = await h.request('POST', '/v1/api-keys', { body: { mode: 'test' } });
    expect((test.body.data as { key: string }).key).toMatch(/^hb_test_/);
    const bad = await h.request('POST', '/v1/api-keys', { body: { mode: 'prod', extra: 1 } });
    expect(bad.status).toBe(400);
  });

  it("lists the project's keys without hash or key", async () => {
    const response = await h.request('GET', '/v1/api-keys', { tenant: h.b });
    expect(response.status).toBe(200);
    expect(response.body.data).toStrictEqual([{ key_id: h.b.key_id, prefix: h.b.key.slice(0, 11), label: 'default', created_at: expect.any(String) }]);
    expect(response.text).not.toContain(h.b.key);
    expect(response.text).not.toMatch(/[0-9a-f]{64}/);
  });

  it('deletes a key: the next request with it is refused; foreign and unknown keys are 404; the last key stays', async () => {
    const made = (await h.request('POST', '/v1/api-keys', { body: { label: 'temp' } })).body.data as { key_id: string; key: string };
    expect((await h.request('GET', '/v1/api-keys', { tenant: asKey(made.key) })).status).toBe(200);
    const foreign = await h.request('DELETE', `/v1/api-keys/${made.key_id}`, { tenant: h.b });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toStrictEqual({ code: 'NOT_FOUND', message: 'API key not found' });
    const response = await h.request('DELETE', `/v1/api-keys/${made.key_id}`);
    expect(response.status).toBe(200);
    expect(response.body.data).toStrictEqual({ key_id: made.key_id, deleted: true });
    const after = await h.request('GET', '/v1/api-keys', { tenant: asKey(made.key) });
    expect(after.status).toBe(401);
    expect((await h.request('DELETE', `/v1/api-keys/${made.key_id}`)).status).toBe(404);
    const last = await h.request('DELETE', `/v1/api-keys/${h.b.key_id}`, { tenant: h.b });
    expect(last.status).toBe(409);
    expect(last.body.error).toStrictEqual({ code: 'CANNOT_DELETE_LAST_API_KEY', message: "Cannot delete the project's last API key" });
    expect((await h.request('DELETE', '/v1/api-keys/not-a-key')).status).toBe(400);
  });
});
