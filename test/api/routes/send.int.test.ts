import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { messageStream, streamPrefix } from '../../../src/domain/index.js';
import { seedEndpoint, startRoutesHarness, type RoutesHarness } from '../../support/routesHarness.js';

/** POST /v1/webhooks/send: validation, byte-exact payload, idempotency without cross-stream transactions. */
let h: RoutesHarness;
let endpoint: string;

beforeAll(async () => {
  h = await startRoutesHarness();
  endpoint = await seedEndpoint(h, h.a);
});
afterAll(() => h.close());

const send = (body: unknown, tenant = h.a) => h.request('POST', '/v1/webhooks/send', { body, tenant });
const messageCount = async () => (await h.store.readAll({ prefixes: [streamPrefix.message], maxCount: 100_000 })).filter((e) => e.type === 'MessageQueued').length;

describe('send', () => {
  it('answers 202 queued and stores the payload text exactly as sent', async () => {
    const raw = `{"endpoint_id":"${endpoint}","payload":{ "amount": 12345678901234567890, "price": 1.0, "s":"\\u00e9" },"headers":{"X-Tenant-Id":"t1"}}`;
    const response = await h.request('POST', '/v1/webhooks/send', { raw, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(202);
    const data = response.body.data as { message_id: string; status: string };
    expect(data.status).toBe('queued');
    expect(data.message_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [queued] = await h.events(messageStream(data.message_id));
    const payload = '{ "amount": 12345678901234567890, "price": 1.0, "s":"\\u00e9" }';
    expect(queued?.data).toMatchObject({
      project_id: h.a.project_id,
      endpoint_id: endpoint,
      payload,
      payload_sha256: createHash('sha256').update(payload).digest('hex'),
      size_bytes: Buffer.byteLength(payload),
      headers: { 'X-Tenant-Id': 't1' },
    });
    expect(queued?.metadata).toMatchObject({ actor: h.a.key_id, request_id: response.body.meta?.['request_id'] });
    expect(JSON.stringify([queued?.data, queued?.metadata])).not.toContain(h.a.key);
  });

  it('refuses a missing or malformed endpoint_id, and a payload that is not an object', async () => {
    const cases: [unknown, string][] = [
      [{ payload: {} }, 'endpoint_id is required'],
      [{ endpoint_id: 'ep_1', payload: {} }, 'endpoint_id must be in format ep_xxx'],
      [{ endpoint_id: endpoint }, 'payload is required'],
      [{ endpoint_id: endpoint, payload: [1, 2] }, 'payload must be a JSON object'],
      [{ endpoint_id: endpoint, payload: 'text' }, 'payload must be a JSON object'],
      [{ endpoint_id: endpoint, payload: {}, colour: 'red' }, "unknown field 'colour'"],
      [{ endpoint_id: endpoint, payload: {}, idempotency_key: '' }, 'idempotency_key must not be empty'],
      [{ endpoint_id: endpoint, payload: {}, idempotency_key: 'k'.repeat(256) }, 'idempotency_key must be at most 255 characters'],
      [{ endpoint_id: endpoint, payload: {}, retention_hours: -1 }, 'retention_hours must be an integer from 0 to 8760'],
      [{ endpoint_id: endpoint, payload: {}, retention_hours: 1.5 }, 'retention_hours must be an integer from 0 to 8760'],
      [{ endpoint_id: endpoint, payload: {}, retention_hours: 8761 }, 'retention_hours must be an integer from 0 to 8760'],
    ];
    const before = await messageCount();
    for (const [body, message] of cases) {
      const response = await send(body);
      expect({ status: response.status, code: response.body.error?.code, message: response.body.error?.message }).toStrictEqual({ status: 400, code: 'INVALID_REQUEST', message });
    }
    expect(await messageCount()).toBe(before);
  });

  it('accepts retention_hours and keeps it on the message', async () => {
    const response = await send({ endpoint_id: endpoint, payload: { r: 1 }, retention_hours: 72 });
    expect(response.status).toBe(202);
    const id = (response.body.data as { message_id: string }).message_id;
    expect((await h.request('GET', `/v1/messages/${id}`)).body.data).toMatchObject({ retention_hours: 72 });
  });

  it('answers ENDPOINT_NOT_FOUND (400) for an unknown, deleted-free or other project\'s endpoint', async () => {
    const other = await seedEndpoint(h, h.b);
    for (const endpoint_id of ['ep_' + '0'.repeat(32), other]) {
      const response = await send({ endpoint_id, payload: {} });
      expect(response.status).toBe(400);
      expect(response.body.error).toStrictEqual({ code: 'ENDPOINT_NOT_FOUND', message: 'endpoint not found' });
    }
  });

  it('refuses forbidden, malformed and too many custom headers with INVALID_HEADERS', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ Host: 'evil.example' }, "header 'Host' is forbidden and cannot be overridden"],
      [{ authorization: 'Bearer x' }, "header 'authorization' is forbidden and cannot be overridden"],
      [{ 'X-Webhook-Signature': 'sha256=00' }, "header 'X-Webhook-Signature' is forbidden and cannot be overridden"],
      [{ 'Content-Type': 'text/plain' }, "header 'Content-Type' is forbidden and cannot be overridden"],
      [{ 'X-Evil': 'a\r\nInjected: yes' }, "header 'X-Evil' has an invalid value: control characters such as CR and LF are not allowed"],
      [{ 'X-Evil': 'a\nb' }, "header 'X-Evil' has an invalid value: control characters such as CR and LF are not allowed"],
      [{ 'Bad Name': 'v' }, "header name 'Bad Name' is not a valid HTTP header name"],
      [{ 'X-A': '1', 'x-a': '2' }, "header 'x-a' is given more than once (names are case-insensitive)"],
      [Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`X-H${i}`, 'v'])), 'at most 50 custom headers are allowed (got 51)'],
      [{ 'X-Big': 'v'.repeat(8190) }, 'custom headers total 8195 bytes; the limit is 8192 bytes (8 KB)'],
    ];
    const before = await messageCount();
    for (const [headers, message] of cases) {
      const response = await send({ endpoint_id: endpoint, payload: {}, headers });
      expect({ status: response.status, code: response.body.error?.code, message: response.body.error?.message }).toStrictEqual({ status: 400, code: 'INVALID_HEADERS', message });
    }
    expect(await messageCount()).toBe(before);
    const ok = await send({ endpoint_id: endpoint, payload: {}, headers: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`X-H${i}`, 'v'])) });
    expect(ok.status).toBe(202);
  });

  it('answers PAYLOAD_TOO_LARGE (400) for a payload over 1 MB, and for one whose stored form would pass the log limit', async () => {
    const before = await messageCount();
    const big = await send({ endpoint_id: endpoint, payload: { blob: 'x'.repeat(1024 * 1024) } });
    expect(big.status).toBe(400);
    expect(big.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
    // Under 1 MB as sent, but every quote doubles once escaped inside the event.
    const quotes = await send({ endpoint_id: endpoint, payload: { q: '"'.repeat(600 * 1024) } });
    expect(quotes.status).toBe(400);
    expect(quotes.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await messageCount()).toBe(before);
    const fits = await send({ endpoint_id: endpoint, payload: { blob: 'x'.repeat(1000 * 1000) } });
    expect(fits.status).toBe(202);
  });

  it('refuses malformed JSON, the wrong content type, and prototype keys', async () => {
    const malformed = await h.request('POST', '/v1/webhooks/send', { raw: '{"endpoint_id":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error?.code).toBe('INVALID_REQUEST');
    const wrongType = await h.request('POST', '/v1/webhooks/send', { raw: JSON.stringify({ endpoint_id: endpoint, payload: {} }), headers: { 'content-type': 'text/plain' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error?.message).toBe('Content-Type must be application/json (got text/plain)');
    const proto = await h.request('POST', '/v1/webhooks/send', { raw: `{"endpoint_id":"${endpoint}","payload":{"__proto__":{"x":1}}}`, headers: { 'content-type': 'application/json' } });
    expect(proto.status).toBe(400);
  });

  it('refuses a payload nested too deeply to check, and writes nothing', async () => {
    const before = await messageCount();
    const raw = `{"endpoint_id":"${endpoint}","payload":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
    const response = await h.request('POST', '/v1/webhooks/send', { raw, headers: { 'content-type': 'application/json' } });
    expect({ status: response.status, error: response.body.error }).toStrictEqual({ status: 400, error: { code: 'INVALID_REQUEST', message: 'request body is nested too deeply' } });
    expect(await messageCount()).toBe(before);
  });

  it('refuses a body over the request limit with PAYLOAD_TOO_LARGE', async () => {
    const response = await h.request('POST', '/v1/webhooks/send', { raw: JSON.stringify({ endpoint_id: endpoint, payload: { b: 'x'.repeat(1200 * 1024) } }), headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('send with an idempotency key', () => {
  it('returns the original message for the same key, endpoint and payload, and writes nothing new', async () => {
    const body = { endpoint_id: endpoint, payload: { order: 1 }, idempotency_key: 'order-1-created' };
    const first = await send(body);
    const before = await messageCount();
    const second = await send({ ...body, payload: { order: 1 } });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.data).toStrictEqual(first.body.data);
    expect(await messageCount()).toBe(before);
  });

  it('answers IDEMPOTENCY_MISMATCH for another payload and IDEMPOTENCY_CONFLICT for another endpoint', async () => {
    const other = await seedEndpoint(h, h.a, 'https://other.example.com/hook');
    await send({ endpoint_id: endpoint, payload: { v: 1 }, idempotency_key: 'k-2' });
    const mismatch = await send({ endpoint_id: endpoint, payload: { v: 2 }, idempotency_key: 'k-2' });
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.error?.code).toBe('IDEMPOTENCY_MISMATCH');
    const conflict = await send({ endpoint_id: other, payload: { v: 1 }, idempotency_key: 'k-2' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error?.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('scopes keys per project', async () => {
    const theirs = await seedEndpoint(h, h.b);
    const mine = await send({ endpoint_id: endpoint, payload: { p: 1 }, idempotency_key: 'shared-key' });
    const yours = await send({ endpoint_id: theirs, payload: { p: 1 }, idempotency_key: 'shared-key' }, h.b);
    expect(yours.status).toBe(202);
    expect((yours.body.data as { message_id: string }).message_id).not.toBe((mine.body.data as { message_id: string }).message_id);
  });

  it('20 concurrent sends with one key make exactly one message', async () => {
    const before = await messageCount();
    const responses = await Promise.all(Array.from({ length: 20 }, () => send({ endpoint_id: endpoint, payload: { c: 1 }, idempotency_key: 'concurrent' })));
    expect(responses.map((r) => r.status)).toStrictEqual(Array.from({ length: 20 }, () => 202));
    expect(new Set(responses.map((r) => (r.body.data as { message_id: string }).message_id)).size).toBe(1);
    expect(await messageCount()).toBe(before + 1);
  });

  it('completes a send whose claim was written but whose message was not (a crash in between)', async () => {
    const { idempotencyStream } = await import('../../../src/domain/index.js');
    const payload = '{"crash":true}';
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const orphan = '01935abc-def0-7123-8567-890abcdef099';
    await h.store.append(idempotencyStream(h.a.project_id, sha('crashed-key')), [
      {
        id: '6f1d2c3b-0000-4000-8000-000000000001',
        type: 'IdempotencyKeyClaimed',
        data: { v: 1, project_id: h.a.project_id, key_sha256: sha('crashed-key'), message_id: orphan, endpoint_id: endpoint, payload_sha256: sha(payload), claimed_at: h.now.toISOString() },
        metadata: { actor: 'test' },
      },
    ]);
    const retried = await h.request('POST', '/v1/webhooks/send', { raw: `{"endpoint_id":"${endpoint}","payload":${payload},"idempotency_key":"crashed-key"}`, headers: { 'content-type': 'application/json' } });
    expect(retried.status).toBe(202);
    expect(retried.body.data).toStrictEqual({ message_id: orphan, status: 'queued' });
    expect((await h.events(messageStream(orphan))).map((e) => e.type)).toStrictEqual(['MessageQueued']);
  });
});
