import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointStream, streamPrefix } from '../../../src/domain/index.js';
import { startRoutesHarness, type RoutesHarness } from '../../support/routesHarness.js';

/** Endpoints and signing keys. */
let h: RoutesHarness;

beforeAll(async () => {
  h = await startRoutesHarness();
});
afterAll(() => h.close());

let n = 0;
const uniqueUrl = () => `https://hooks${++n}.example.com/webhooks`;
const create = (body: Record<string, unknown>, tenant = h.a) => h.request('POST', '/v1/endpoints', { body, tenant });
async function created(body: Record<string, unknown> = {}, tenant = h.a) {
  const response = await create({ url: uniqueUrl(), ...body }, tenant);
  if (response.status !== 201) throw new Error(response.text);
  return response.body.data as { id: string; url: string; signing_key_id: string; signing_secret: string; key_hint: string };
}
const endpointEvents = async () => (await h.store.readAll({ prefixes: [streamPrefix.endpoint], maxCount: 100_000 })).length;

describe('create endpoint', () => {
  it('answers 201 with the signing secret, once', async () => {
    const url = uniqueUrl();
    const response = await create({ url, description: 'Main production webhook', rate_limit_rps: 10, headers: { 'X-Env': 'prod' } });
    expect(response.status).toBe(201);
    const data = response.body.data as Record<string, string>;
    expect(data).toStrictEqual({
      id: expect.stringMatching(/^ep_[a-f0-9]{32}$/),
      url,
      description: 'Main production webhook',
      signing_key_id: expect.stringMatching(/^sk_[a-f0-9]{32}$/),
      signing_secret: expect.stringMatching(/^whsec_[A-Za-z0-9]{32}$/),
      key_hint: data['signing_secret']?.slice(-4),
      created_at: h.now.toISOString(),
    });
    const got = await h.request('GET', `/v1/endpoints/${data['id']}`);
    expect(got.body.data).toStrictEqual({
      id: data['id'],
      url,
      description: 'Main production webhook',
      rate_limit_rps: 10,
      burst: 10,
      headers: { 'X-Env': 'prod' },
      paused: false,
      created_at: h.now.toISOString(),
      updated_at: h.now.toISOString(),
    });
    expect(got.text).not.toContain(data['signing_secret']);
  });

  it('refuses URLs that are not HTTPS, too short or too long with INVALID_ENDPOINT, and writes nothing', async () => {
    const before = await endpointEvents();
    for (const url of ['http://hooks.example.com/x', 'https://a.b', `https://example.com/${'a'.repeat(2040)}`, 'https://user:pw@example.com/x', 'ftp://example.com/abc']) {
      const response = await create({ url });
      expect(response.status).toBe(400);
      expect(response.body.error?.code).toBe('INVALID_ENDPOINT');
    }
    expect(await endpointEvents()).toBe(before);
  });

  it('refuses loopback, private and metadata targets with ENDPOINT_BLOCKED', async () => {
    for (const url of ['https://localhost/hook', 'https://127.0.0.1/hook', 'https://10.1.2.3/hook', 'https://[::1]/hook', 'https://169.254.169.254/latest', 'https://0x7f.1/hook', 'https://[::ffff:192.168.1.1]/x']) {
      const response = await create({ url });
      expect({ url, status: response.status, code: response.body.error?.code }).toStrictEqual({ url, status: 400, code: 'ENDPOINT_BLOCKED' });
    }
  });

  it('allows private targets with ALLOW_PRIVATE_ENDPOINTS, but never cloud metadata', async () => {
    const dev = await startRoutesHarness({ allowPrivateEndpoints: true });
    try {
      expect((await dev.request('POST', '/v1/endpoints', { body: { url: 'https://127.0.0.1:8443/hook' } })).status).toBe(201);
      expect((await dev.request('POST', '/v1/endpoints', { body: { url: 'https://localhost:8443/hook' } })).status).toBe(201);
      const metadata = await dev.request('POST', '/v1/endpoints', { body: { url: 'https://169.254.169.254/latest' } });
      expect(metadata.body.error?.code).toBe('ENDPOINT_BLOCKED');
    } finally {
      await dev.close();
    }
  });

  it('answers DUPLICATE_URL 409 for a URL the project already has, even under concurrency; other projects may reuse it', async () => {
    const url = uniqueUrl();
    const responses = await Promise.all(Array.from({ length: 5 }, () => create({ url })));
    expect(responses.map((r) => r.status).sort()).toStrictEqual([201, 409, 409, 409, 409]);
    expect(responses.find((r) => r.status === 409)?.body.error?.code).toBe('DUPLICATE_URL');
    expect((await create({ url: url.replace('https://', 'HTTPS://').replace('hooks', 'HOOKS') })).status).toBe(409);
    expect((await create({ url }, h.b)).status).toBe(201);
  });

  it('validates fields and custom headers', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ url: uniqueUrl(), description: 'd'.repeat(501) }, 'INVALID_REQUEST', 'description must be at most 500 characters'],
      [{ url: uniqueUrl(), rate_limit_rps: 1001 }, 'INVALID_REQUEST', 'rate_limit_rps must be an integer from 0 to 1000'],
      [{ url: uniqueUrl(), burst: -1 }, 'INVALID_REQUEST', 'burst must be an integer from 0 to 10000'],
      [{ url: uniqueUrl(), secret: 'x' }, 'INVALID_REQUEST', "unknown field 'secret'"],
      [{}, 'INVALID_REQUEST', 'url is required'],
      [{ url: uniqueUrl(), headers: { Host: 'x' } }, 'INVALID_HEADERS', "header 'Host' is forbidden and cannot be overridden"],
      [{ url: uniqueUrl(), headers: { 'X-A': 'a\r\nb' } }, 'INVALID_HEADERS', "header 'X-A' has an invalid value: control characters such as CR and LF are not allowed"],
    ];
    for (const [body, code, message] of cases) {
      const response = await create(body);
      expect({ status: response.status, code: response.body.error?.code, message: response.body.error?.message }).toStrictEqual({ status: 400, code, message });
    }
  });
});

describe('list, update, delete, pause, resume', () => {
  it('lists the project\'s endpoints newest first in the summary shape, page by page', async () => {
    const fresh = await startRoutesHarness();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        fresh.now = new Date(Date.UTC(2026, 0, 15, 10, i));
        ids.push(((await fresh.request('POST', '/v1/endpoints', { body: { url: `https://list${i}.example.com/h` } })).body.data as { id: string }).id);
      }
      await fresh.request('POST', '/v1/endpoints', { body: { url: 'https://other.example.com/h' }, tenant: fresh.b });
      const first = await fresh.request('GET', '/v1/endpoints?limit=2');
      expect(first.status).toBe(200);
      expect(first.body.data).toStrictEqual([
        { id: ids[2], url: 'https://list2.example.com/h', description: '', paused: false, created_at: '2026-01-15T10:02:00.000Z' },
        { id: ids[1], url: 'https://list1.example.com/h', description: '', paused: false, created_at: '2026-01-15T10:01:00.000Z' },
      ]);
      expect(first.body.meta).toMatchObject({ has_more: true, next_cursor: expect.any(String) });
      const second = await fresh.request('GET', `/v1/endpoints?limit=2&cursor=${String(first.body.meta?.['next_cursor'])}`);
      expect((second.body.data as { id: string }[]).map((e) => e.id)).toStrictEqual([ids[0]]);
      expect(second.body.meta).toMatchObject({ has_more: false, next_cursor: null });
      for (const query of ['limit=0', 'limit=101', 'limit=x', 'cursor=bm9wZQ']) {
        expect((await fresh.request('GET', `/v1/endpoints?${query}`)).status).toBe(400);
      }
    } finally {
      await fresh.close();
    }
  });

  it('updates only the given fields and answers {id, updated: true}', async () => {
    const ep = await created({ description: 'before', rate_limit_rps: 5 });
    h.now = new Date('2026-01-15T11:00:00.000Z');
    const response = await h.request('PATCH', `/v1/endpoints/${ep.id}`, { body: { description: 'after', headers: { 'X-New': '1' } } });
    expect(response.status).toBe(200);
    expect(response.body.data).toStrictEqual({ id: ep.id, updated: true });
    expect((await h.request('GET', `/v1/endpoints/${ep.id}`)).body.data).toMatchObject({ url: ep.url, description: 'after', rate_limit_rps: 5, headers: { 'X-New': '1' }, updated_at: '2026-01-15T11:00:00.000Z' });
    const blocked = await h.request('PATCH', `/v1/endpoints/${ep.id}`, { body: { url: 'https://192.168.0.1/x' } });
    expect(blocked.body.error?.code).toBe('ENDPOINT_BLOCKED');
    const other = await created();
    const duplicate = await h.request('PATCH', `/v1/endpoints/${ep.id}`, { body: { url: other.url } });
    expect(duplicate.status).toBe(409);
    expect((await h.request('PATCH', `/v1/endpoints/${ep.id}`, { body: { url: ep.url } })).status).toBe(200);
  });

  it('pauses and resumes, idempotently', async () => {
    const ep = await created();
    const pause = await h.request('POST', `/v1/endpoints/${ep.id}/pause`);
    expect(pause.status).toBe(200);
    expect(pause.body.data).toStrictEqual({ id: ep.id, paused: true });
    expect((await h.request('POST', `/v1/endpoints/${ep.id}/pause`)).status).toBe(200);
    expect((await h.request('GET', `/v1/endpoints/${ep.id}`)).body.data).toMatchObject({ paused: true });
    const sent = await h.request('POST', '/v1/webhooks/send', { body: { endpoint_id: ep.id, payload: { while: 'paused' } } });
    expect(sent.status).toBe(202);
    const resume = await h.request('POST', `/v1/endpoints/${ep.id}/resume`);
    expect(resume.status).toBe(200);
    expect(resume.body.data).toStrictEqual({ id: ep.id, paused: false, messages_requeued: 1 });
  });

  it('deletes softly: {id, deleted: true}, then 404 everywhere and no more sends', async () => {
    const ep = await created();
    const response = await h.request('DELETE', `/v1/endpoints/${ep.id}`);
    expect(response.status).toBe(200);
    expect(response.body.data).toStrictEqual({ id: ep.id, deleted: true });
    expect((await h.request('GET', `/v1/endpoints/${ep.id}`)).status).toBe(404);
    const send = await h.request('POST', '/v1/webhooks/send', { body: { endpoint_id: ep.id, payload: {} } });
    expect(send.body.error).toStrictEqual({ code: 'ENDPOINT_NOT_FOUND', message: 'endpoint not found' });
    expect((await h.events(endpointStream(ep.id))).map((e) => e.type)).toStrictEqual(['EndpointCreated', 'EndpointDeleted']);
    // The URL is free again.
    expect((await create({ url: ep.url })).status).toBe(201);
  });

  it("answers 404 for an unknown or another project's endpoint on every id route, and 400 for a malformed id", async () => {
    const theirs = await created({}, h.b);
    const before = (await h.events(endpointStream(theirs.id))).length;
    const routes: [string, string, unknown?][] = [
      ['GET', ''],
      ['PATCH', '', { description: 'x' }],
      ['DELETE', ''],
      ['POST', '/pause'],
      ['POST', '/resume'],
      ['POST', '/signing-keys'],
      ['GET', '/signing-keys'],
      ['DELETE', `/signing-keys/${theirs.signing_key_id}`],
    ];
    for (const [method, suffix, body] of routes) {
      for (const id of [theirs.id, 'ep_' + 'f'.repeat(32)]) {
        const response = await h.request(method, `/v1/endpoints/${id}${suffix}`, body === undefined ? {} : { body });
        expect({ method, suffix, status: response.status, error: response.body.error }).toStrictEqual({ method, suffix, status: 404, error: { code: 'NOT_FOUND', message: 'Endpoint not found' } });
      }
      const bad = await h.request(method, `/v1/endpoints/ep_nope${suffix.replace(/sk_[a-f0-9]+/, 'sk_' + '0'.repeat(32))}`, body === undefined ? {} : { body });
      expect(bad.status).toBe(400);
    }
    expect((await h.events(endpointStream(theirs.id))).length).toBe(before);
  });
});

describe('signing keys', () => {
  it('creates a second key (secret once), lists without secrets, refuses a third and the last delete', async () => {
    const ep = await created();
    const second = await h.request('POST', `/v1/endpoints/${ep.id}/signing-keys`);
    expect(second.status).toBe(201);
    const key = second.body.data as { id: string; signing_secret: string; key_hint: string; created_at: string };
    expect(key).toStrictEqual({ id: expect.stringMatching(/^sk_[a-f0-9]{32}$/), signing_secret: expect.stringMatching(/^whsec_/), key_hint: key.signing_secret.slice(-4), created_at: h.now.toISOString() });
    const third = await h.request('POST', `/v1/endpoints/${ep.id}/signing-keys`);
    expect(third.status).toBe(409);
    expect(third.body.error).toStrictEqual({ code: 'MAX_SIGNING_KEYS_REACHED', message: 'Endpoint already has the maximum of 2 signing keys' });
    const list = await h.request('GET', `/v1/endpoints/${ep.id}/signing-keys`);
    expect(list.body.data).toStrictEqual([
      { id: ep.signing_key_id, key_hint: ep.key_hint, created_at: h.now.toISOString() },
      { id: key.id, key_hint: key.key_hint, created_at: h.now.toISOString() },
    ]);
    expect(list.text).not.toContain('whsec_');
    const removed = await h.request('DELETE', `/v1/endpoints/${ep.id}/signing-keys/${ep.signing_key_id}`);
    expect(removed.status).toBe(200);
    expect(removed.body.data).toStrictEqual({ id: ep.signing_key_id, deleted: true });
    const last = await h.request('DELETE', `/v1/endpoints/${ep.id}/signing-keys/${key.id}`);
    expect(last.status).toBe(409);
    expect(last.body.error?.code).toBe('CANNOT_DELETE_LAST_SIGNING_KEY');
    const unknown = await h.request('DELETE', `/v1/endpoints/${ep.id}/signing-keys/sk_${'0'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toStrictEqual({ code: 'NOT_FOUND', message: 'Signing key not found' });
  });
});
