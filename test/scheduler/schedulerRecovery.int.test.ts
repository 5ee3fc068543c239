import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/eventstore/errors.js';
import type { EventStore } from '../../src/eventstore/port.js';
import type { HttpsReceiver } from '../support/httpsReceiver.js';
import {
  createEndpoint, eventsOf, messageCommand, send, sleep, startNode, typesOf, until, untilLast, useSchedulerWorld, type FakeClock, type SchedulerNode,
} from './support/schedulerHarness.js';

/** Leases of vanished workers, graceful shutdown and restart, an unreachable store. */
const world = useSchedulerWorld();
let receiver: HttpsReceiver;
let store: EventStore;
let clock: FakeClock;
beforeEach(() => ({ receiver, store, clock } = world));
const track = (node: SchedulerNode): SchedulerNode => world.track(node);
const attemptsOf = (events: { type: string; data: unknown }[]) =>
  events.filter((e) => e.type === 'DeliveryAttemptStarted').map((e) => (e.data as { attempt_no: number }).attempt_no);

describe('a worker that vanished during an attempt', () => {
  it('is recorded as abandoned when its lease runs out, then the message is retried and delivered', async () => {
    const id = await send(store, clock, await createEndpoint(store, clock, { url: receiver.url() }));
    // Another scheduler claimed attempt 1 with a 5 s lease and died: no outcome will ever come.
    await messageCommand(store, id, { type: 'StartAttempt', attempt_id: randomUUID(), now: clock().toISOString(), lease_until: new Date(clock.ms() + 5000).toISOString() });
    const node = track(startNode(store, clock));
    await sleep(200);
    expect(await typesOf(store, id)).toEqual(['MessageQueued', 'DeliveryAttemptStarted']);

    clock.advance(5000);
    node.scheduler.wake();
    const abandoned = await untilLast(store, id, 'RetryScheduled');
    expect(abandoned.slice(2).map((e) => e.type)).toEqual(['DeliveryAttemptAbandoned', 'RetryScheduled']);
    expect(abandoned[2]?.data).toMatchObject({ attempt_no: 1, retryable: true });
    expect(abandoned[3]?.data).toMatchObject({ retry_type: 'slow', retry_after_seconds: 1800 });
    expect(receiver.requests).toHaveLength(0);

    clock.advance(1800 * 1000);
    node.scheduler.wake();
    const events = await untilLast(store, id, 'DeliveryAttemptSucceeded');
    expect(attemptsOf(events)).toEqual([1, 2]);
    expect(receiver.requests.map((r) => r.headers['x-webhook-attempt'])).toEqual(['2']);
  });
});

describe('graceful shutdown', () => {
  it('lets an attempt that ends within the grace period record its outcome', async () => {
    receiver.reply({ status: 200, delayMs: 300 });
    const id = await send(store, clock, await createEndpoint(store, clock, { url: receiver.url() }));
    const node = track(startNode(store, clock, { shutdownGraceMs: 10_000 }));
    await until(() => receiver.requests.length === 1, 'the request to arrive');
    await node.scheduler.stop();
    expect(await typesOf(store, id)).toEqual(['MessageQueued', 'DeliveryAttemptStarted', 'DeliveryAttemptSucceeded']);
  });

  it('gives back an attempt still running at the end of the grace period, and a restart delivers it', async () => {
    receiver.reply({ status: 200, delayMs: 1500 });
    const id = await send(store, clock, await createEndpoint(store, clock, { url: receiver.url() }));
    const first = track(startNode(store, clock, { shutdownGraceMs: 100 }));
    await until(() => receiver.requests.length === 1, 'the request to arrive');
    await first.scheduler.stop();
    expect(first.scheduler.inFlight()).toBe(1);
    const given = await eventsOf(store, id);
    expect(given.slice(1).map((e) => e.type)).toEqual(['DeliveryAttemptStarted', 'DeliveryAttemptAbandoned', 'RetryScheduled']);
    // The late answer arrives after the give-back: it is not recorded over it.
    await until(() => first.scheduler.inFlight() === 0, 'the late answer', 4000);
    expect(await typesOf(store, id)).toHaveLength(4);
    expect(first.logger.lines.some((l) => l.msg?.includes('not recorded'))).toBe(true);

    const second = track(startNode(store, clock, { instanceId: 'test-2' }));
    clock.advance(1800 * 1000);
    second.scheduler.wake();
    const events = await untilLast(store, id, 'DeliveryAttemptSucceeded');
    expect(attemptsOf(events)).toEqual([1, 2]);
    expect(events.at(-1)?.metadata).toMatchObject({ actor: 'scheduler:test-2' });
  });
});

describe('stopping', () => {
  it('claims nothing new once stop() is called, and leaves the waiting messages queued', async () => {
    receiver.setDefault({ status: 200, delayMs: 1000 });
    const endpointId = await createEndpoint(store, clock, { url: receiver.url() });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await send(store, clock, endpointId));
    const node = track(startNode(store, clock, { concurrency: { global: 4, perEndpoint: 1 }, shutdownGraceMs: 50 }));
    await until(() => receiver.requests.length === 1, 'the first request');
    await node.scheduler.stop();
    await sleep(300);
    const started = [];
    for (const id of ids) if ((await typesOf(store, id)).includes('DeliveryAttemptStarted')) started.push(id);
    expect(started).toHaveLength(1);
    expect(receiver.requests).toHaveLength(1);
  });
});

describe('an unreachable event store', () => {
  it('backs off, logs the outage a few times rather than per message, never crashes, and recovers by itself', async () => {
    let down = false;
    const refuse = () => Promise.reject(new StoreUnavailableError('store is down (test)'));
    const flaky: EventStore = {
      ...store,
      append: (...args) => (down ? refuse() : store.append(...args)),
      readStream: (...args) => (down ? refuse() : store.readStream(...args)),
      readAll: (...args) => store.readAll(...args),
      subscribeToAll: (...args) => store.subscribeToAll(...args),
      headPosition: () => store.headPosition(),
      close: () => store.close(),
    };
    const endpointId = await createEndpoint(store, clock, { url: receiver.url() });
    down = true;
    const node = track(startNode(flaky, clock, { pollMs: 20 }));
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await send(store, clock, endpointId));
    await sleep(700);
    expect(receiver.requests).toHaveLength(0);
    const warnings = node.logger.lines.filter((l) => l.level === 'warn');
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.length).toBeLessThanOrEqual(4);
    expect(node.logger.lines.filter((l) => l.level === 'error')).toEqual([]);

    down = false;
    for (const id of ids) expect(attemptsOf(await untilLast(store, id, 'DeliveryAttemptSucceeded'))).toEqual([1]);
    expect(node.logger.lines.some((l) => l.msg?.includes('available again'))).toBe(true);
  });
});
