import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageStream } from '../../../src/domain/index.js';
import { pendingRetryMessage, seedEndpoint, startRoutesHarness, type RoutesHarness } from '../../support/routesHarness.js';

/** Logs, metrics, the DLQ list and bulk replays, read from the projections. */
let h: RoutesHarness;
let endpoint: string;
let other: string;
const ids = { queued: '', succeeded: '', pending: '', dead: '', otherEndpoint: '', foreign: '' };

const URL_A = 'https://receiver.example.com/hook';

beforeAll(async () => {
  h = await startRoutesHarness();
  endpoint = await seedEndpoint(h, h.a, URL_A);
  other = await seedEndpoint(h, h.a, 'https://second.example.com/hook');
  const send = async (endpoint_id: string, minute: number, tenant = h.a) => {
    h.now = new Date(Date.UTC(2026, 0, 15, 9, minute));
    const response = await h.request('POST', '/v1/webhooks/send', { body: { endpoint_id, payload: { minute } }, tenant });
    return (response.body.data as { message_id: string }).message_id;
  };
  ids.queued = await send(endpoint, 1);
  ids.succeeded = await send(endpoint, 2);
  await h.message(ids.succeeded, { type: 'StartAttempt', attempt_id: 's1', lease_until: '2026-01-15T09:03:00.000Z', now: '2026-01-15T09:02:00.000Z' });
  await h.message(ids.succeeded, { type: 'RecordAttemptSucceeded', attempt_id: 's1', response_status: 200, latency_ms: 120, now: '2026-01-15T09:02:01.000Z' });
  h.now = new Date(Date.UTC(2026, 0, 15, 9, 3));
  ids.pending = await pendingRetryMessage(h, endpoint);
  h.now = new Date(Date.UTC(2026, 0, 15, 9, 4));
  ids.dead = await pendingRetryMessage(h, endpoint);
  await h.request('POST', `/v1/messages/${ids.dead}/cancel`);
  ids.otherEndpoint = await send(other, 5);
  const theirs = await seedEndpoint(h, h.b);
  ids.foreign = await send(theirs, 6, h.b);
  h.now = new Date('2026-01-15T10:00:00.000Z');
});
afterAll(() => h.close());

const messageIds = (data: unknown) => (data as { message_id: string }[]).map((m) => m.message_id);

describe('logs', () => {
  it("lists the project's messages newest first with the endpoint URL, absent fields left out", async () => {
    const response = await h.request('GET', '/v1/logs');
    expect(response.status).toBe(200);
    expect(messageIds(response.body.data)).toStrictEqual([ids.otherEndpoint, ids.dead, ids.pending, ids.succeeded, ids.queued]);
    const succeeded = (response.body.data as Record<string, unknown>[])[3];
    expect(succeeded).toStrictEqual({
      message_id: ids.succeeded,
      endpoint: URL_A,
      endpoint_id: endpoint,
      status: 'succeeded',
      attempt_count: 1,
      created_at: '2026-01-15T09:02:00.000Z',
      delivered_at: '2026-01-15T09:02:01.000Z',
      response_status: 200,
      response_latency_ms: 120,
    });
    expect((response.body.data as Record<string, unknown>[])[2]).toMatchObject({ status: 'pending_retry', last_error: 'HTTP 500', next_attempt_at: '2026-01-15T09:33:00.000Z' });
    expect(response.body.meta).toMatchObject({ has_more: false, next_cursor: null });
  });

  it('filters by endpoint, status and time, and pages with a cursor', async () => {
    expect(messageIds((await h.request('GET', `/v1/logs?endpoint_id=${other}`)).body.data)).toStrictEqual([ids.otherEndpoint]);
    expect(messageIds((await h.request('GET', '/v1/logs?status=failed_permanent')).body.data)).toStrictEqual([ids.dead]);
    expect(messageIds((await h.request('GET', '/v1/logs?start_time=2026-01-15T09:02:00Z&end_time=2026-01-15T09:04:00Z')).body.data)).toStrictEqual([ids.pending, ids.succeeded]);
    const first = await h.request('GET', '/v1/logs?limit=2');
    expect(messageIds(first.body.data)).toStrictEqual([ids.otherEndpoint, ids.dead]);
    expect(first.body.meta).toMatchObject({ has_more: true });
    const second = await h.request('GET', `/v1/logs?limit=2&cursor=${String(first.body.meta?.['next_cursor'])}`);
    expect(messageIds(second.body.data)).toStrictEqual([ids.pending, ids.succeeded]);
  });

  it('refuses bad filters with 400', async () => {
    for (const query of ['limit=501', 'limit=0', 'status=paused', 'endpoint_id=ep_1', 'start_time=yesterday', 'cursor=bm9wZQ', 'colour=red']) {
      const response = await h.request('GET', `/v1/logs?${query}`);
      expect({ query, status: response.status, code: response.body.error?.code }).toStrictEqual({ query, status: 400, code: 'INVALID_REQUEST' });
    }
  });
});

describe('metrics', () => {
  it('sums the window for the project, optionally for one endpoint', async () => {
    const response = await h.request('GET', '/v1/metrics');
    expect(response.status).toBe(200);
    expect(response.body.data).toMatchObject({ window: '24h', total_messages: 5, succeeded: 1, failed: 1 });
    const one = await h.request('GET', `/v1/metrics?window=1h&endpoint_id=${other}`);
    expect(one.body.data).toMatchObject({ window: '1h', total_messages: 1, succeeded: 0 });
  });

  it('gives hourly buckets for 24h', async () => {
    const response = await h.request('GET', '/v1/metrics/timeseries?window=24h');
    expect(response.status).toBe(200);
    const data = response.body.data as { window: string; buckets: { timestamp: string; total: number }[] };
    expect(data.window).toBe('24h');
    expect(data.buckets.length).toBeGreaterThanOrEqual(24);
    expect(data.buckets.reduce((sum, b) => sum + b.total, 0)).toBe(5);
  });

  it('answers the reference message for a bad window or endpoint_id', async () => {
    for (const path of ['/v1/metrics?window=2h', '/v1/metrics/timeseries?window=1y', '/v1/metrics/timeseries?endpoint_id=ep_1']) {
      const response = await h.request('GET', path);
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'Invalid window or endpoint_id parameter' });
    }
  });
});

describe('DLQ list', () => {
  it('puts messages and pagination inside data', async () => {
    const response = await h.request('GET', '/v1/dlq/messages?limit=10');
    expect(response.status).toBe(200);
    const data = response.body.data as { messages: Record<string, unknown>[]; has_more: boolean; next_cursor: string | null };
    expect(data.has_more).toBe(false);
    expect(data.next_cursor).toBeNull();
    expect(data.messages.map((m) => m.message_id)).toStrictEqual([ids.dead]);
    expect(data.messages[0]).toMatchObject({ endpoint: URL_A, status: 'failed_permanent', failed_at: '2026-01-15T09:04:00.000Z' });
    expect(response.body.meta).toStrictEqual({ request_id: expect.stringMatching(/^req_/) });
    expect((await h.request('GET', '/v1/dlq/messages', { tenant: h.b })).body.data).toMatchObject({ messages: [] });
  });
});

describe('bulk replays', () => {
  it('replay-batch reports a result per id: replayed, stuck while delivering, failed when unknown or foreign', async () => {
    const delivering = (await h.request('POST', '/v1/webhooks/send', { body: { endpoint_id: endpoint, payload: { d: 1 } } })).body.data as { message_id: string };
    await h.message(delivering.message_id, { type: 'StartAttempt', attempt_id: 'd1', lease_until: '2026-01-15T10:05:00.000Z', now: h.now.toISOString() });
    const unknown = '01935abc-def0-7123-4567-890abcdef012';
    const response = await h.request('POST', '/v1/messages/replay-batch', { body: { message_ids: [ids.succeeded, delivering.message_id, unknown, ids.foreign, ids.succeeded] } });
    expect(response.status).toBe(200);
    expect(response.body.message).toBe('1 of 4 messages queued for replay');
    expect(response.body.data).toStrictEqual({
      replayed: 1,
      failed: 2,
      stuck: 1,
      results: [
        { message_id: ids.succeeded, status: 'replayed' },
        { message_id: delivering.message_id, status: 'stuck', error_code: 'DELIVERY_IN_PROGRESS', error: 'Message is currently being delivered' },
        { message_id: unknown, status: 'failed', error_code: 'NOT_FOUND', error: 'Message not found' },
        { message_id: ids.foreign, status: 'failed', error_code: 'NOT_FOUND', error: 'Message not found' },
      ],
    });
    expect((await h.events(messageStream(ids.foreign))).some((e) => e.type === 'MessageReplayed')).toBe(false);
  });

  it('replay-batch validates its body', async () => {
    for (const body of [{}, { message_ids: [] }, { message_ids: ['nope'] }, { message_ids: Array.from({ length: 101 }, () => ids.queued) }]) {
      const response = await h.request('POST', '/v1/messages/replay-batch', { body });
      expect(response.status).toBe(400);
    }
  });

  it('replay-all needs a status and replays what has it', async () => {
    const missing = await h.request('POST', '/v1/messages/replay-all');
    expect(missing.status).toBe(400);
    expect(missing.body.error?.message).toBe('status is required');
    const response = await h.request('POST', '/v1/messages/replay-all?status=failed_permanent&limit=10');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      message: '1 of 1 message queued for replay',
      data: { replayed: 1, failed: 0, stuck: 0, replayed_message_ids: [ids.dead], stuck_message_ids: [], failed_message_ids: [] },
    });
    expect((await h.request('GET', `/v1/messages/${ids.dead}`)).body.data).toMatchObject({ status: 'queued', replay_count: 1 });
    const none = await h.request('POST', `/v1/messages/replay-all?status=failed_permanent&endpoint_id=${other}`);
    expect(none.body.data).toMatchObject({ replayed: 0, replayed_message_ids: [] });
  });
});
