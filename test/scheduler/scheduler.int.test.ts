import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { beforeEach, describe, expect, it } from 'vitest';
import { aggregateCacheOf } from '../../src/commands/aggregateCache.js';
import { decodeMessageEvent, messageDecider } from '../../src/domain/message/index.js';
import { defaultRetryPolicy } from '../../src/domain/retryPolicy.js';
import { messageStream } from '../../src/domain/streams.js';
import type { EventStore } from '../../src/eventstore/port.js';
import { type HttpsReceiver, type ReceivedRequest, type Reply } from '../support/httpsReceiver.js';
import {
  createEndpoint, endpointCommand, eventsOf, hmacSha256Hex, send, T0, typesOf, until, untilLast, useSchedulerWorld, type FakeClock, type SchedulerNode,
} from './support/schedulerHarness.js';

/**
 * The delivery loop end to end inside one process: real store, real projections, a real HTTPS
 * receiver. What a user sees: the message's events, and what the receiver got.
 */
const world = useSchedulerWorld();
let receiver: HttpsReceiver;
let store: EventStore;
let clock: FakeClock;
beforeEach(() => ({ receiver, store, clock } = world));
let node: SchedulerNode;

const dataOf = (events: { data: unknown }[], index: number) => events[index]?.data as Record<string, unknown>;

describe('a delivery that succeeds', () => {
  it('claims, POSTs the signed payload once and records the success, logging no secret or payload', async () => {
    const secretOne = 'whsec_first_key_abcdefghijklmnopqrstuv';
    const secretTwo = 'whsec_second_key_0123456789abcdefghijk';
    const endpointId = await createEndpoint(store, clock, { url: receiver.url('/hooks'), headers: { 'X-Tenant': 'acme' }, secret: secretOne });
    await endpointCommand(store, { type: 'CreateSigningKey', endpoint_id: endpointId, signing_key: { key_id: 'sk_2', secret: secretTwo, key_hint: 'hijk' }, now: clock().toISOString() });
    node = world.node();
    const payload = '{"event":"invoice.paid","amount":1200,"note":"top secret payload"}';
    const id = await send(store, clock, endpointId, payload, { 'X-Order': '42' });

    const events = await untilLast(store, id, 'DeliveryAttemptSucceeded');
    expect(events.map((e) => e.type)).toEqual(['MessageQueued', 'DeliveryAttemptStarted', 'DeliveryAttemptSucceeded']);
    expect(dataOf(events, 1)).toMatchObject({ attempt_no: 1, started_at: new Date(T0).toISOString(), lease_until: new Date(T0 + 60_000).toISOString() });
    expect(dataOf(events, 2)).toMatchObject({ attempt_no: 1, response_status: 200, response_excerpt: '{"ok":true}' });
    expect(dataOf(events, 2)['request_headers']).toMatchObject({ 'X-Webhook-Id': id, 'X-Webhook-Attempt': '1' });
    expect(events[1]?.metadata).toMatchObject({ actor: 'scheduler:test-1' });
    expect(events[2]?.metadata).toMatchObject({ actor: 'scheduler:test-1' });

    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0] as ReceivedRequest;
    expect(request).toMatchObject({ method: 'POST', path: '/hooks', body: payload });
    expect(request.headers).toMatchObject({
      'content-type': 'application/json', 'x-webhook-id': id, 'x-webhook-attempt': '1', 'x-tenant': 'acme', 'x-order': '42',
    });
    const timestamp = request.headers['x-webhook-timestamp'] as string;
    expect(timestamp).toBe(String(Math.floor(T0 / 1000)));
    const expected = [secretOne, secretTwo].map((s) => `sha256=${hmacSha256Hex(s, `${timestamp}.${payload}`)}`).join(',');
    expect(request.headers['x-webhook-signature']).toBe(expected);

    const logged = JSON.stringify(node.logger.lines);
    expect(node.logger.lines.filter((l) => l.level === 'info' && (l.obj as { message_id?: string }).message_id === id)).toHaveLength(1);
    expect(logged).not.toContain('whsec_');
    expect(logged).not.toContain('top secret payload');
  });
});

describe('each failure class', () => {
  const byPath: Record<string, Reply> = {
    '/e503': { status: 503, body: 'down for maintenance' },
    '/e429': { status: 429, headers: { 'Retry-After': '90' } },
    '/e429-short': { status: 429, headers: { 'Retry-After': '5' } },
    '/e404': { status: 404, body: 'no such hook' },
    '/hang': { hang: true },
  };
  const route = (request: ReceivedRequest): Reply => byPath[request.path] ?? { status: 200 };

  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  it('retries 5xx slowly, 429 fast with Retry-After as a floor, fails 404 for good, retries timeouts and refused connections', async () => {
    receiver.reply(...Object.keys(byPath).map(() => route)); // one each: the script must be empty for the next test
    const refusedPort = await closedPort();
    const ids: Record<string, string> = {};
    for (const path of [...Object.keys(byPath), '/refused']) {
      const url = path === '/refused' ? `https://127.0.0.1:${refusedPort}/refused` : receiver.url(path);
      ids[path] = await send(store, clock, await createEndpoint(store, clock, { url }));
    }
    node = world.node({ timeoutMs: 300 });
    const now = T0;
    const after = (seconds: number) => new Date(now + seconds * 1000).toISOString();

    const e503 = await untilLast(store, ids['/e503'] as string, 'RetryScheduled');
    expect(dataOf(e503, 2)).toMatchObject({ response_status: 503, retryable: true, response_excerpt: 'down for maintenance' });
    expect(dataOf(e503, 3)).toMatchObject({ retry_type: 'slow', retry_after_seconds: 1800, next_attempt_at: after(1800) });

    const e429 = await untilLast(store, ids['/e429'] as string, 'RetryScheduled');
    expect(dataOf(e429, 2)).toMatchObject({ response_status: 429, retry_after_seconds: 90 });
    expect(dataOf(e429, 3)).toMatchObject({ retry_type: 'fast', retry_after_seconds: 90, next_attempt_at: after(90) });
    const short = await untilLast(store, ids['/e429-short'] as string, 'RetryScheduled');
    expect(dataOf(short, 3)).toMatchObject({ retry_type: 'fast', retry_after_seconds: 30, next_attempt_at: after(30) });

    const e404 = await untilLast(store, ids['/e404'] as string, 'MessageFailedPermanently');
    expect(dataOf(e404, 2)).toMatchObject({ response_status: 404, retryable: false });
    expect(dataOf(e404, 3)).toMatchObject({ reason: 'non_retryable', attempt_count: 1 });

    const hang = await untilLast(store, ids['/hang'] as string, 'RetryScheduled');
    expect(dataOf(hang, 2)).toMatchObject({ error: 'timeout', retryable: true });
    expect(dataOf(hang, 3)).toMatchObject({ retry_type: 'slow', next_attempt_at: after(1800) });

    const refused = await untilLast(store, ids['/refused'] as string, 'RetryScheduled');
    expect(dataOf(refused, 2)).toMatchObject({ error: 'network', retryable: true });
    expect(dataOf(refused, 3)).toMatchObject({ retry_type: 'slow', next_attempt_at: after(1800) });

    // One attempt each, and nothing more while the clock stands still.
    await node.runner.waitForPosition((await store.headPosition()) as bigint, 2000);
    for (const id of Object.values(ids)) expect((await typesOf(store, id)).filter((t) => t === 'DeliveryAttemptStarted')).toHaveLength(1);
  });

  it('follows the whole slow schedule to failed_permanent after 8 attempts under a fake clock', async () => {
    receiver.setDefault({ status: 500 });
    const id = await send(store, clock, await createEndpoint(store, clock, { url: receiver.url('/always-500') }));
    node = world.node();
    const slow = [1800, 7200, 21600, 43200, 86400, 172800, 259200];
    for (let attempt = 1; attempt <= 7; attempt++) {
      const events = await until(async () => {
        const all = await eventsOf(store, id);
        const scheduled = all.filter((e) => e.type === 'RetryScheduled');
        return scheduled.length === attempt ? all : undefined;
      }, `retry ${attempt}`);
      const retry = events.at(-1)?.data as Record<string, unknown>;
      const failedAt = Date.parse((events.at(-2)?.data as { failed_at: string }).failed_at);
      expect(retry).toMatchObject({ attempt_no: attempt, retry_type: 'slow', retry_after_seconds: slow[attempt - 1] });
      expect(retry['next_attempt_at']).toBe(new Date(failedAt + (slow[attempt - 1] as number) * 1000).toISOString());
      clock.set(Date.parse(retry['next_attempt_at'] as string));
      node.scheduler.wake();
    }
    const events = await untilLast(store, id, 'MessageFailedPermanently');
    expect(events.at(-1)?.data).toMatchObject({ reason: 'attempts_exhausted', attempt_count: 8 });
    expect(events.filter((e) => e.type === 'DeliveryAttemptStarted').map((e) => (e.data as { attempt_no: number }).attempt_no)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(receiver.requests.map((r) => r.headers['x-webhook-attempt'])).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
  });
});

describe('after an attempt this process recorded', () => {
  it("keeps the message's fold in the commands' cache, so a retry-now decides without reading the stream", async () => {
    receiver.reply({ status: 503 });
    const id = await send(store, clock, await createEndpoint(store, clock, { url: receiver.url('/down') }));
    node = world.node();
    const events = await untilLast(store, id, 'RetryScheduled');
    const { evolve, initialState } = messageDecider(defaultRetryPolicy);
    const cached = aggregateCacheOf(store).get(messageStream(id), evolve);
    expect(cached?.revision).toBe(events.at(-1)?.revision);
    expect(cached?.state).toEqual(events.map(decodeMessageEvent).reduce(evolve, initialState()));
  });
});

describe('endpoint changes', () => {
  it('signs with a key added after the endpoint was cached, once its stream has moved on', async () => {
    const first = 'whsec_first_key_abcdefghijklmnopqrstuv';
    const second = 'whsec_rotated_key_0123456789abcdefghij';
    const endpointId = await createEndpoint(store, clock, { url: receiver.url(), secret: first });
    node = world.node({ endpointTtlMs: 0 });
    await untilLast(store, await send(store, clock, endpointId), 'DeliveryAttemptSucceeded');
    await endpointCommand(store, { type: 'CreateSigningKey', endpoint_id: endpointId, signing_key: { key_id: 'sk_2', secret: second, key_hint: 'ghij' }, now: clock().toISOString() });
    const payload = '{"after":"rotation"}';
    await untilLast(store, await send(store, clock, endpointId, payload), 'DeliveryAttemptSucceeded');
    const request = receiver.requests.at(-1) as ReceivedRequest;
    const timestamp = request.headers['x-webhook-timestamp'] as string;
    expect(request.headers['x-webhook-signature']).toBe([first, second].map((s) => `sha256=${hmacSha256Hex(s, `${timestamp}.${payload}`)}`).join(','));
  });

  it('fails a message of a deleted endpoint for good, without a request', async () => {
    const endpointId = await createEndpoint(store, clock, { url: receiver.url() });
    const id = await send(store, clock, endpointId);
    await endpointCommand(store, { type: 'DeleteEndpoint', endpoint_id: endpointId, now: clock().toISOString() });
    node = world.node();
    const events = await untilLast(store, id, 'MessageFailedPermanently');
    expect(events[2]?.data).toMatchObject({ error: 'blocked', error_text: 'the endpoint was deleted', retryable: false });
    expect(receiver.requests).toHaveLength(0);
  });
});
