import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageStream } from '../../../src/domain/index.js';
import { pendingRetryMessage, REQUEST_ID, seedEndpoint, startRoutesHarness, type RoutesHarness } from '../../support/routesHarness.js';

/** POST /v1/messages/{id}/retry-now, to the letter of spec/retry-now.md. */
let h: RoutesHarness;
let endpoint: string;

beforeAll(async () => {
  h = await startRoutesHarness();
  endpoint = await seedEndpoint(h, h.a);
});
afterAll(() => h.close());

const retryNow = (id: string, tenant = h.a) => h.request('POST', `/v1/messages/${id}/retry-now`, { tenant });

function expectRequestId(response: { headers: Headers; body: { meta?: Record<string, unknown> } }): string {
  const id = response.body.meta?.['request_id'];
  expect(id).toMatch(REQUEST_ID);
  expect(response.headers.get('x-request-id')).toBe(id);
  return id as string;
}

describe('retry-now', () => {
  it('answers 200 with the exact body and appends one RetryExpedited carrying request id and actor', async () => {
    const id = await pendingRetryMessage(h, endpoint);
    const response = await retryNow(id);
    expect(response.status).toBe(200);
    const requestId = expectRequestId(response);
    expect(response.body).toStrictEqual({
      message: 'Retry scheduled for immediate pickup',
      data: { message_id: id, status: 'pending_retry' },
      meta: { request_id: requestId },
    });
    const events = await h.events(messageStream(id));
    const expedited = events.filter((e) => e.type === 'RetryExpedited');
    expect(expedited).toHaveLength(1);
    expect(expedited[0]?.metadata).toMatchObject({ request_id: requestId, actor: h.a.key_id });
    expect(expedited[0]?.data).toMatchObject({ message_id: id, expedited_at: h.now.toISOString() });
  });

  it('accepts the reference example id shape (variant nibble 4) and answers 404 NOT_FOUND for it', async () => {
    const response = await retryNow('01935abc-def0-7123-4567-890abcdef012');
    expect(response.status).toBe(404);
    expect(response.body).toStrictEqual({ error: { code: 'NOT_FOUND', message: 'Message not found' }, meta: { request_id: expectRequestId(response) } });
  });

  it("answers another project's message exactly like an unknown one, and appends nothing", async () => {
    const id = await pendingRetryMessage(h, endpoint);
    const before = await h.events(messageStream(id));
    const response = await retryNow(id, h.b);
    expect(response.status).toBe(404);
    expect(response.body).toStrictEqual({ error: { code: 'NOT_FOUND', message: 'Message not found' }, meta: { request_id: expectRequestId(response) } });
    expect(await h.events(messageStream(id))).toHaveLength(before.length);
  });

  it('answers 400 INVALID_STATUS naming the current status', async () => {
    const sent = await h.request('POST', '/v1/webhooks/send', { body: { endpoint_id: endpoint, payload: { q: true } } });
    const id = (sent.body.data as { message_id: string }).message_id;
    const response = await retryNow(id);
    expect(response.status).toBe(400);
    expect(response.body).toStrictEqual({
      error: { code: 'INVALID_STATUS', message: 'Message is not in pending_retry status (current: queued)' },
      meta: { request_id: expectRequestId(response) },
    });
  });

  it('answers 400 INVALID_REQUEST for an id that is not a UUID', async () => {
    const response = await retryNow('not-a-uuid');
    expect(response.status).toBe(400);
    expect(response.body.error?.code).toBe('INVALID_REQUEST');
    expect(response.body.error?.message).toBe('id must be a valid UUID');
  });

  it('answers 401 UNAUTHORIZED without a key or with a wrong one', async () => {
    const id = await pendingRetryMessage(h, endpoint);
    for (const tenant of [null, { ...h.a, auth: { authorization: 'Bearer hb_live_wrongwrongwrong' } }]) {
      const response = await retryNow(id, tenant as never);
      expect(response.status).toBe(401);
      expect(response.body).toStrictEqual({ error: { code: 'UNAUTHORIZED', message: 'Invalid or missing API key' }, meta: { request_id: expectRequestId(response) } });
    }
    expect((await h.events(messageStream(id))).some((e) => e.type === 'RetryExpedited')).toBe(false);
  });

  it('is idempotent while the expedite is pending: 200 again, no second event', async () => {
    const id = await pendingRetryMessage(h, endpoint);
    expect((await retryNow(id)).status).toBe(200);
    const again = await retryNow(id);
    expect(again.status).toBe(200);
    expect(again.body.message).toBe('Retry scheduled for immediate pickup');
    expect((await h.events(messageStream(id))).filter((e) => e.type === 'RetryExpedited')).toHaveLength(1);
  });

  it('100 concurrent calls all answer 200 and the history holds exactly one RetryExpedited', async () => {
    const id = await pendingRetryMessage(h, endpoint);
    const responses = await Promise.all(Array.from({ length: 100 }, () => retryNow(id)));
    expect(responses.map((r) => r.status)).toStrictEqual(Array.from({ length: 100 }, () => 200));
    const ids = new Set(responses.map((r) => r.body.meta?.['request_id']));
    expect(ids.size).toBe(100);
    expect((await h.events(messageStream(id))).filter((e) => e.type === 'RetryExpedited')).toHaveLength(1);
  });
});
