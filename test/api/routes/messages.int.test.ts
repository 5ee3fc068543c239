import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAggregate, toEventsToAppend } from '../../../src/commands/handle.js';
import { decodeMessageEvent, defaultRetryPolicy, messageDecider, messageStream, type MessageCommand, type MessageEvent } from '../../../src/domain/index.js';
import { pendingRetryMessage, seedEndpoint, startRoutesHarness, type RoutesHarness } from '../../support/routesHarness.js';

/** GET /v1/messages/{id}, attempts, cancel, replay, DLQ replay, and the auditors' history and as_of. */
let h: RoutesHarness;
let endpoint: string;

beforeAll(async () => {
  h = await startRoutesHarness();
  endpoint = await seedEndpoint(h, h.a);
});
afterAll(() => h.close());

const UNKNOWN = '01935abc-def0-7123-4567-890abcdef012';

describe('get message', () => {
  it('returns the §3.2 fields folded from the log', async () => {
    const id = await pendingRetryMessage(h, endpoint);
    const response = await h.request('GET', `/v1/messages/${id}`);
    expect(response.status).toBe(200);
    expect(response.body.data).toStrictEqual({
      id,
      project_id: h.a.project_id,
      endpoint_id: endpoint,
      status: 'pending_retry',
      attempt_count: 1,
      replay_count: 0,
      content_type: 'application/json',
      size_bytes: 7,
      payload_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      next_attempt_at: '2026-01-15T10:30:00.000Z',
      last_error: 'HTTP 500',
      response_status: 500,
      response_latency_ms: 12,
      created_at: h.now.toISOString(),
      updated_at: h.now.toISOString(),
    });
  });

  it('answers 404 for an unknown id and for another project, 400 for a non-UUID id', async () => {
    const id = await pendingRetryMessage(h, endpoint);
    for (const [path, tenant] of [[`/v1/messages/${UNKNOWN}`, h.a], [`/v1/messages/${id}`, h.b]] as const) {
      const response = await h.request('GET', path, { tenant });
      expect(response.status).toBe(404);
      expect(response.body.error).toStrictEqual({ code: 'NOT_FOUND', message: 'Message not found' });
    }
    const bad = await h.request('GET', '/v1/messages/123');
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('INVALID_REQUEST');
  });

  it('shows the message as it stood at a revision, or at a time', async () => {
    const id = await pendingRetryMessage(h, endpoint);
    const atQueued = await h.request('GET', `/v1/messages/${id}?as_of=0`);
    expect(atQueued.status).toBe(200);
    expect(atQueued.body.data).toMatchObject({ status: 'queued', attempt_count: 0 });
    expect(atQueued.body.meta).toMatchObject({ as_of_revision: 0 });
    const atStart = await h.request('GET', `/v1/messages/${id}?as_of=1`);
    expect(atStart.body.data).toMatchObject({ status: 'delivering', attempt_count: 1 });
    const now = await h.request('GET', `/v1/messages/${id}?as_of=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(now.body.data).toMatchObject({ status: 'pending_retry' });
    const before = await h.request('GET', `/v1/messages/${id}?as_of=2000-01-01T00:00:00Z`);
    expect(before.status).toBe(404);
    const bad = await h.request('GET', `/v1/messages/${id}?as_of=yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toBe('as_of must be an ISO-8601 date-time or a revision number');
  });
});

describe('attempts', () => {
  it('lists attempts with their outcome and the retry that followed', async () => {
    const id = await pendingRetryMessage(h, endpoint);
    const response = await h.request('GET', `/v1/messages/${id}/attempts`);
    expect(response.status).toBe(200);
    expect(response.body.meta).toMatchObject({ has_more: false });
    expect(response.body.data).toStrictEqual([
      {
        id: 'att-1',
        attempt_no: 1,
        started_at: h.now.toISOString(),
        finished_at: h.now.toISOString(),
        outcome: 'failed',
        response_status: 500,
        response_latency_ms: 12,
        processing_ms: null,
        error_text: 'HTTP 500',
        retry_type: 'slow',
        retry_after_seconds: 1800,
      },
    ]);
  });

  it('answers 200 with an empty list for an unknown or foreign id, as the reference does', async () => {
    const id = await pendingRetryMessage(h, endpoint);
    for (const [path, tenant] of [[`/v1/messages/${UNKNOWN}/attempts`, h.a], [`/v1/messages/${id}/attempts`, h.b]] as const) {
      const response = await h.request('GET', path, { tenant });
      expect(response.status).toBe(200);
      expect(response.body.data).toStrictEqual([]);
      expect(response.body.meta).toMatchObject({ has_more: false });
    }
  });
});

describe('attempts cap', () => {
  it('returns the first 200 attempts with has_more when there are more', async () => {
    const sent = await h.request('POST', '/v1/webhooks/send', { body: { endpoint_id: endpoint, payload: { many: true } } });
    const id = (sent.body.data as { message_id: string }).message_id;
    const now = h.now.toISOString();
    const lease = new Date(h.now.getTime() + 60_000).toISOString();
    // Each cycle: one attempt refused for good (400), then a DLQ replay, which has no limit.
    // Decided in memory and appended at once: the route reads events, however they were written.
    const decider = messageDecider(defaultRetryPolicy);
    const loaded = await loadAggregate(h.store, messageStream(id), decider, decodeMessageEvent);
    let state = loaded.state;
    const events: MessageEvent[] = [];
    const run = (command: MessageCommand) => {
      const produced = decider.decide(command, state);
      state = produced.reduce(decider.evolve, state);
      events.push(...produced);
    };
    for (let i = 1; i <= 201; i++) {
      run({ type: 'StartAttempt', attempt_id: `a${i}`, lease_until: lease, now });
      run({ type: 'RecordAttemptFailed', attempt_id: `a${i}`, outcome: { status: 400 }, latency_ms: 1, now });
      if (i < 201) run({ type: 'ReplayFromDlq', now });
    }
    await h.store.append(messageStream(id), toEventsToAppend(events, { actor: 'scheduler:test' }), { expectedRevision: loaded.revision });
    const response = await h.request('GET', `/v1/messages/${id}/attempts`);
    const attempts = response.body.data as { attempt_no: number }[];
    expect(attempts).toHaveLength(200);
    expect(attempts[0]?.attempt_no).toBe(1);
    expect(attempts[199]?.attempt_no).toBe(200);
    expect(response.body.meta).toMatchObject({ has_more: true });
  });
});

describe('cancel, replay, DLQ replay', () => {
  it('cancel moves a pending retry to failed_permanent; the body has no top-level message', async () => {
    const id = await pendingRetryMessage(h, endpoint);
    const response = await h.request('POST', `/v1/messages/${id}/cancel`);
    expect(response.status).toBe(200);
    expect(response.body).toStrictEqual({ data: { message_id: id, status: 'failed_permanent' }, meta: { request_id: response.body.meta?.['request_id'] } });
    expect((await h.events(messageStream(id))).slice(-2).map((e) => e.type)).toStrictEqual(['RetryCancelled', 'MessageFailedPermanently']);
    const again = await h.request('POST', `/v1/messages/${id}/cancel`);
    expect(again.status).toBe(400);
    expect(again.body.error).toStrictEqual({ code: 'INVALID_STATUS', message: 'Message is not in pending_retry status (current: failed_permanent)' });
  });

  it('DLQ replay answers "replayed" for a failed_permanent message and refuses others', async () => {
    const id = await pendingRetryMessage(h, endpoint);
    const notDlq = await h.request('POST', `/v1/dlq/replay/${id}`);
    expect(notDlq.status).toBe(400);
    expect(notDlq.body.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'message is not in DLQ (must have failed_permanent status)' });
    await h.request('POST', `/v1/messages/${id}/cancel`);
    const response = await h.request('POST', `/v1/dlq/replay/${id}`);
    expect(response.status).toBe(200);
    expect(response.body).toStrictEqual({ data: { message_id: id, status: 'replayed' }, meta: { request_id: response.body.meta?.['request_id'] } });
    expect((await h.request('GET', `/v1/messages/${id}`)).body.data).toMatchObject({ status: 'queued', replay_count: 0 });
  });

  it('replay queues the message again, counts toward 10, then answers REPLAY_LIMIT_EXCEEDED 429', async () => {
    const sent = await h.request('POST', '/v1/webhooks/send', { body: { endpoint_id: endpoint, payload: { r: 1 } } });
    const id = (sent.body.data as { message_id: string }).message_id;
    for (let i = 1; i <= 10; i++) {
      const response = await h.request('POST', `/v1/messages/${id}/replay`);
      expect(response.status).toBe(200);
      expect(response.body).toStrictEqual({ message: 'Message queued for replay', data: { message_id: id, status: 'queued' }, meta: { request_id: response.body.meta?.['request_id'] } });
    }
    const over = await h.request('POST', `/v1/messages/${id}/replay`);
    expect(over.status).toBe(429);
    expect(over.body.error?.code).toBe('REPLAY_LIMIT_EXCEEDED');
    expect((await h.request('GET', `/v1/messages/${id}`)).body.data).toMatchObject({ replay_count: 10 });
  });

  it('replay refuses a message being delivered with DELIVERY_IN_PROGRESS 409', async () => {
    const sent = await h.request('POST', '/v1/webhooks/send', { body: { endpoint_id: endpoint, payload: { d: 1 } } });
    const id = (sent.body.data as { message_id: string }).message_id;
    await h.message(id, { type: 'StartAttempt', attempt_id: 'att-x', lease_until: new Date(h.now.getTime() + 60_000).toISOString(), now: h.now.toISOString() });
    const response = await h.request('POST', `/v1/messages/${id}/replay`);
    expect(response.status).toBe(409);
    expect(response.body.error?.code).toBe('DELIVERY_IN_PROGRESS');
  });

  it("answers 404 for another project's message on every action, and appends nothing", async () => {
    const id = await pendingRetryMessage(h, endpoint);
    const before = (await h.events(messageStream(id))).length;
    for (const path of [`/v1/messages/${id}/cancel`, `/v1/messages/${id}/replay`, `/v1/dlq/replay/${id}`, `/v1/messages/${id}/retry-now`]) {
      const response = await h.request('POST', path, { tenant: h.b });
      expect(response.status).toBe(404);
      expect(response.body.error).toStrictEqual({ code: 'NOT_FOUND', message: 'Message not found' });
    }
    const history = await h.request('GET', `/v1/messages/${id}/events`, { tenant: h.b });
    expect(history.status).toBe(404);
    expect((await h.events(messageStream(id))).length).toBe(before);
  });
});

describe('event history for auditors', () => {
  it('lists every event in order with revision, position, time, data, actor and request id, page by page', async () => {
    const id = await pendingRetryMessage(h, endpoint);
    const retry = await h.request('POST', `/v1/messages/${id}/retry-now`);
    const first = await h.request('GET', `/v1/messages/${id}/events?limit=2`);
    expect(first.status).toBe(200);
    const page1 = first.body.data as { type: string; revision: number; position: string; actor: string | null; request_id: string | null; recorded_at: string; data: unknown }[];
    expect(page1.map((e) => [e.type, e.revision])).toStrictEqual([['MessageQueued', 0], ['DeliveryAttemptStarted', 1]]);
    expect(page1[0]?.actor).toBe(h.a.key_id);
    expect(page1[0]?.request_id).toMatch(/^req_/);
    expect(page1[1]?.actor).toBe('scheduler:test');
    expect(page1[0]?.position).toMatch(/^\d+$/);
    expect(first.body.meta).toMatchObject({ has_more: true, next_cursor: expect.any(String) });
    const second = await h.request('GET', `/v1/messages/${id}/events?limit=10&cursor=${String(first.body.meta?.['next_cursor'])}`);
    const page2 = second.body.data as { type: string; revision: number; request_id: string | null }[];
    expect(page2.map((e) => e.type)).toStrictEqual(['DeliveryAttemptFailed', 'RetryScheduled', 'RetryExpedited']);
    expect(page2[2]?.request_id).toBe(retry.body.meta?.['request_id']);
    expect(second.body.meta).toMatchObject({ has_more: false, next_cursor: null });
    const bad = await h.request('GET', `/v1/messages/${id}/events?cursor=bm9wZQ`);
    expect(bad.status).toBe(400);
  });
});
