import { beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/eventstore/port.js';
import type { HttpsReceiver } from '../support/httpsReceiver.js';
import {
  createEndpoint, endpointCommand, eventsOf, messageCommand, send, sleep, startNode, typesOf, until, untilLast, withReadJitter, useSchedulerWorld, type FakeClock, type SchedulerNode, type NodeOptions,
} from './support/schedulerHarness.js';

/** Retry-now, two schedulers on one log, paused endpoints and rate limits. */
const world = useSchedulerWorld();
let receiver: HttpsReceiver;
let store: EventStore;
let clock: FakeClock;
beforeEach(() => ({ receiver, store, clock } = world));
const node = (options?: NodeOptions): SchedulerNode => world.node(options);
const attemptsOf = (events: { type: string; data: unknown }[]) =>
  events.filter((e) => e.type === 'DeliveryAttemptStarted').map((e) => (e.data as { attempt_no: number }).attempt_no);

describe('retry-now', () => {
  it('starts the next attempt on the projection signal, long before the next poll or the scheduled time', async () => {
    receiver.reply({ status: 503 });
    const id = await send(store, clock, await createEndpoint(store, clock, { url: receiver.url() }));
    // A poll interval far beyond the test: only the wake-up can start the expedited attempt.
    node({ pollMs: 600_000 });
    await untilLast(store, id, 'RetryScheduled');

    await messageCommand(store, id, { type: 'RetryNow', now: clock().toISOString() });
    const events = await untilLast(store, id, 'DeliveryAttemptSucceeded');
    expect(events.map((e) => e.type)).toEqual([
      'MessageQueued', 'DeliveryAttemptStarted', 'DeliveryAttemptFailed', 'RetryScheduled', 'RetryExpedited', 'DeliveryAttemptStarted', 'DeliveryAttemptSucceeded',
    ]);
    expect(attemptsOf(events)).toEqual([1, 2]);
    expect(receiver.requests.map((r) => r.headers['x-webhook-attempt'])).toEqual(['1', '2']);
  });
});

describe('two schedulers on one store', () => {
  it('never start the same attempt twice: one claim per attempt, one POST per claim', async () => {
    const endpoints = [
      await createEndpoint(store, clock, { url: receiver.url('/a') }),
      await createEndpoint(store, clock, { url: receiver.url('/b') }),
    ];
    const one = startNode(withReadJitter(store), clock, { instanceId: 'one' });
    const two = startNode(withReadJitter(store), clock, { instanceId: 'two' });
    world.track(one);
    world.track(two);
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) ids.push(await send(store, clock, endpoints[i % 2] as string));

    for (const id of ids) await untilLast(store, id, 'DeliveryAttemptSucceeded');
    const actors = new Set<unknown>();
    for (const id of ids) {
      const events = await eventsOf(store, id);
      expect(attemptsOf(events)).toEqual([1]);
      for (const e of events.slice(1)) actors.add(e.metadata['actor']);
    }
    const pairs = receiver.requests.map((r) => `${String(r.headers['x-webhook-id'])}#${String(r.headers['x-webhook-attempt'])}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(pairs).toHaveLength(ids.length);
    expect([...actors].sort()).toEqual(['scheduler:one', 'scheduler:two']);
    // They did compete: some claims were lost (or the message found already taken), quietly.
    const skipped = [one, two].flatMap((n) => n.logger.lines.filter((l) => l.msg === 'due message skipped'));
    expect(skipped.length).toBeGreaterThan(0);
    expect([one, two].flatMap((n) => n.logger.lines.filter((l) => l.level === 'warn' || l.level === 'error'))).toEqual([]);
  });
});

describe('a paused endpoint', () => {
  it('gets no attempt while paused, and the message is delivered after resume', async () => {
    const endpointId = await createEndpoint(store, clock, { url: receiver.url() });
    await endpointCommand(store, { type: 'PauseEndpoint', endpoint_id: endpointId, now: clock().toISOString() });
    const n = node();
    const id = await send(store, clock, endpointId);
    await n.runner.waitForPosition((await store.headPosition()) as bigint, 2000);
    await sleep(300); // several polls
    expect(await typesOf(store, id)).toEqual(['MessageQueued']);
    expect(receiver.requests).toHaveLength(0);

    await endpointCommand(store, { type: 'ResumeEndpoint', endpoint_id: endpointId, now: clock().toISOString() });
    const events = await untilLast(store, id, 'DeliveryAttemptSucceeded');
    expect(attemptsOf(events)).toEqual([1]);
  });

  it('is seen from the endpoint itself even before the read model has the pause', async () => {
    const endpointId = await createEndpoint(store, clock, { url: receiver.url() });
    const n = node({ endpointTtlMs: 0 });
    const warm = await send(store, clock, endpointId);
    await untilLast(store, warm, 'DeliveryAttemptSucceeded');
    // Pause and send in one go: the scheduler may see the message before the projection has the pause.
    await endpointCommand(store, { type: 'PauseEndpoint', endpoint_id: endpointId, now: clock().toISOString() });
    const id = await send(store, clock, endpointId);
    await n.runner.waitForPosition((await store.headPosition()) as bigint, 2000);
    await sleep(200);
    expect(await typesOf(store, id)).toEqual(['MessageQueued']);
  });
});

describe('a rate-limited endpoint', () => {
  it('defers deliveries over the limit without using attempts, and delivers them as tokens come back', async () => {
    const endpointId = await createEndpoint(store, clock, { url: receiver.url(), rps: 1, burst: 2 });
    node();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await send(store, clock, endpointId));

    // The clock stands still: the burst of 2 goes out, the other 3 wait.
    await until(() => receiver.requests.length === 2, 'the burst');
    await sleep(300);
    expect(receiver.requests).toHaveLength(2);
    const waiting = [];
    for (const id of ids) if ((await typesOf(store, id)).length === 1) waiting.push(id);
    expect(waiting).toHaveLength(3);

    clock.advance(1000); // one token
    await until(() => receiver.requests.length === 3, 'one more after a second');
    await sleep(200);
    expect(receiver.requests).toHaveLength(3);

    clock.advance(5000);
    for (const id of ids) expect(attemptsOf(await untilLast(store, id, 'DeliveryAttemptSucceeded'))).toEqual([1]);
    expect(receiver.requests).toHaveLength(5);
  });
});

describe('a slow endpoint with a long backlog', () => {
  it('keeps to its own concurrency limit and does not hold up another endpoint queued behind it', async () => {
    // Scripted by path, so replies left over at the end answer any later test at once. Counts the
    // slow endpoint's requests open at once (each is answered 400 ms after it arrived).
    let open = 0;
    let mostOpen = 0;
    const slowReply = (request: { path: string }): { status: number; delayMs?: number } => {
      if (request.path !== '/slow') return { status: 200 };
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      setTimeout(() => (open -= 1), 400);
      return { status: 200, delayMs: 400 };
    };
    const slow = await createEndpoint(store, clock, { url: receiver.url('/slow') });
    const fast = await createEndpoint(store, clock, { url: receiver.url('/fast') });
    const backlog: string[] = [];
    for (let i = 0; i < 120; i++) backlog.push(await send(store, clock, slow));
    clock.advance(1000);
    const behind = await send(store, clock, fast);
    receiver.reply(...backlog.map(() => slowReply));
    node({ concurrency: { global: 6, perEndpoint: 2 }, shutdownGraceMs: 0 });

    const events = await untilLast(store, behind, 'DeliveryAttemptSucceeded');
    expect(attemptsOf(events)).toEqual([1]);
    // The slow endpoint never had more than its 2 slots, and most of its backlog is still waiting.
    expect(receiver.requests.filter((r) => r.path === '/slow').length).toBeLessThan(20);
    expect(mostOpen).toBe(2);
  });
});
