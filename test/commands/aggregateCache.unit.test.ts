import { describe, expect, it } from 'vitest';
import { AggregateCache, aggregateCacheOf, approximateBytes } from '../../src/commands/aggregateCache.js';
import { handleCommand, loadAggregate } from '../../src/commands/handle.js';
import { decodeMessageEvent, messageDecider, type MessageCommand, type MessageEvent } from '../../src/domain/message/index.js';
import { defaultRetryPolicy } from '../../src/domain/retryPolicy.js';
import { messageStream } from '../../src/domain/streams.js';
import { StoreUnavailableError, WrongExpectedVersionError } from '../../src/eventstore/errors.js';
import { createMemoryEventStore } from '../../src/eventstore/memory/index.js';
import type { EventStore } from '../../src/eventstore/port.js';
import { MID, at, pendingSlow, queued, started } from '../domain/support/messageFixtures.js';

/**
 * The folded-aggregate cache behind handleCommand: a command on a stream this process has
 * just loaded or written decides without reading it, and every answer is the one a fresh
 * read would have given, whoever else wrote to the stream in between.
 */
const decider = messageDecider(defaultRetryPolicy);
const stream = messageStream(MID);
const meta = { request_id: 'req_1', actor: 'key_1' };
const retryNow: MessageCommand = { type: 'RetryNow', now: at(20) };
let nextId = 0;
const eventId = (): string => `00000000-0000-4000-8000-${String(nextId++).padStart(12, '0')}`;

/** A store that counts whole-stream reads and appends, and can be told to fail its next append. */
function countingStore() {
  const inner = createMemoryEventStore();
  const counts = { reads: 0, appends: 0 };
  let failNext: Error | undefined;
  const store: EventStore = {
    ...inner,
    readStream: (s, options) => {
      counts.reads += 1;
      return inner.readStream(s, options);
    },
    append: (s, events, options) => {
      counts.appends += 1;
      const failure = failNext;
      failNext = undefined;
      return failure === undefined ? inner.append(s, events, options) : Promise.reject(failure);
    },
  };
  return { store, counts, failNextAppend: (error: Error) => void (failNext = error) };
}

/** Another writer (the scheduler, another process) appending behind handleCommand's back. */
const appendDirectly = (store: EventStore, events: readonly MessageEvent[]) =>
  store.append(stream, events.map((e) => ({ id: eventId(), type: e.type, data: e.data })));

const run = (store: EventStore, command: MessageCommand, extra: { retryOnConflict?: boolean } = {}) =>
  handleCommand({ store, stream, decider, decode: decodeMessageEvent, command, metadata: meta, ...extra });

describe('handleCommand with the aggregate cache', () => {
  it('decides the next command on a stream it just wrote without reading the stream', async () => {
    const { store, counts } = countingStore();
    await appendDirectly(store, pendingSlow);
    await run(store, retryNow);
    const readsBefore = counts.reads;
    const cancelled = await run(store, { type: 'CancelRetry', now: at(21) });
    expect(counts.reads).toBe(readsBefore);
    expect(cancelled.events.map((e) => e.type)).toEqual(['RetryCancelled', 'MessageFailedPermanently']);
    expect(cancelled.revision).toBe(6n);
  });

  it('a stale entry conflicts, and the command is decided again on a fresh read, even without retryOnConflict', async () => {
    const { store } = countingStore();
    await appendDirectly(store, [queued]);
    await run(store, { type: 'StartAttempt', attempt_id: 'att_1', lease_until: at(60), now: at(0) });
    // The scheduler records the failure and the retry without going through handleCommand.
    await appendDirectly(store, pendingSlow.slice(2));
    const result = await run(store, retryNow);
    expect(result.events.map((e) => e.type)).toEqual(['RetryExpedited']);
    expect((await store.readStream(stream)).map((e) => e.type)).toEqual([...pendingSlow.map((e) => e.type), 'RetryExpedited']);
  });

  it('a no-op decided on a stale entry is not trusted: the attempt that started since makes retry-now INVALID_STATUS', async () => {
    const { store } = countingStore();
    await appendDirectly(store, pendingSlow);
    await run(store, retryNow); // cached: expedited, so a repeat would be a 200 no-op
    await appendDirectly(store, [started(2, 30)]);
    await expect(run(store, { ...retryNow, now: at(31) })).rejects.toMatchObject({ code: 'INVALID_STATUS', status: 400 });
  });

  it('a refusal decided on a stale entry is not trusted: the retry scheduled since makes retry-now succeed', async () => {
    const { store } = countingStore();
    await appendDirectly(store, [queued]);
    await run(store, { type: 'StartAttempt', attempt_id: 'att_1', lease_until: at(60), now: at(0) }); // cached: delivering
    await appendDirectly(store, pendingSlow.slice(2));
    const result = await run(store, retryNow);
    expect(result.events.map((e) => e.type)).toEqual(['RetryExpedited']);
  });

  it('a no-op or a refusal decided on a fresh read keeps that fold, so a later command that writes reads nothing', async () => {
    const { store, counts } = countingStore();
    await appendDirectly(store, pendingSlow);
    await appendDirectly(store, [{ type: 'RetryExpedited', data: { v: 1, message_id: MID, expedited_at: at(19) } } as MessageEvent]);
    expect((await run(store, retryNow)).events).toEqual([]); // already expedited: a 200 with nothing written
    expect(aggregateCacheOf(store).get(stream, decider.evolve)?.revision).toBe(4n);
    const readsBefore = counts.reads;
    expect((await run(store, { type: 'CancelRetry', now: at(21) })).events.map((e) => e.type)).toEqual(['RetryCancelled', 'MessageFailedPermanently']);
    expect(counts.reads).toBe(readsBefore);

    const other = countingStore();
    await other.store.append(stream, [queued, started(1, 1)].map((e) => ({ id: eventId(), type: e.type, data: e.data })));
    await expect(run(other.store, retryNow)).rejects.toMatchObject({ code: 'INVALID_STATUS' });
    expect(aggregateCacheOf(other.store).get(stream, decider.evolve)?.revision).toBe(1n);
  });

  it('an append that fails for any reason drops the entry, so the next command reads the stream', async () => {
    const { store, counts, failNextAppend } = countingStore();
    await appendDirectly(store, pendingSlow);
    await loadAggregate(store, stream, decider, decodeMessageEvent);
    failNextAppend(new StoreUnavailableError('disk gone'));
    await expect(run(store, retryNow)).rejects.toBeInstanceOf(StoreUnavailableError);
    const readsBefore = counts.reads;
    expect((await run(store, retryNow)).events).toHaveLength(1);
    expect(counts.reads).toBe(readsBefore + 1);
  });

  it('100 concurrent retry-now on a cached message write exactly one RetryExpedited', async () => {
    const { store } = countingStore();
    await appendDirectly(store, pendingSlow);
    await loadAggregate(store, stream, decider, decodeMessageEvent);
    const results = await Promise.all(Array.from({ length: 100 }, () => run(store, retryNow, { retryOnConflict: true })));
    expect(results.flatMap((r) => r.events)).toHaveLength(1);
    expect((await store.readStream(stream)).filter((e) => e.type === 'RetryExpedited')).toHaveLength(1);
  });

  it('newStream skips the read, and a stream that exists after all is refused as before', async () => {
    const { store, counts } = countingStore();
    const send: MessageCommand = {
      type: 'SendMessage', message_id: MID, project_id: 'proj_1', endpoint_id: 'ep_1', payload: '{}', payload_sha256: 'ab'.repeat(32),
      size_bytes: 2, content_type: 'application/json', headers: {}, now: at(0),
    };
    const created = await handleCommand({ store, stream, decider, decode: decodeMessageEvent, command: send, metadata: meta, newStream: true });
    expect(created.revision).toBe(0n);
    expect(counts.reads).toBe(0);
    await expect(handleCommand({ store, stream, decider, decode: decodeMessageEvent, command: send, metadata: meta, newStream: true })).rejects.toMatchObject({
      code: 'MESSAGE_ALREADY_EXISTS',
    });
  });

  it('the state kept after each command equals a fresh fold of the stream', async () => {
    const { store } = countingStore();
    await appendDirectly(store, pendingSlow);
    const commands: MessageCommand[] = [
      retryNow,
      { type: 'StartAttempt', attempt_id: 'att_2', lease_until: at(90), now: at(30) },
      { type: 'RecordAttemptFailed', attempt_id: 'att_2', outcome: { status: 503 }, latency_ms: 5, now: at(31) },
      { type: 'CancelRetry', now: at(40) },
      { type: 'ReplayFromDlq', now: at(50) },
    ] as MessageCommand[];
    for (const command of commands) {
      const result = await run(store, command);
      expect(result.events.length).toBeGreaterThan(0);
      const fresh = (await store.readStream(stream)).reduce((s, r) => decider.evolve(s, decodeMessageEvent(r)), decider.initialState());
      expect(result.state).toEqual(fresh);
    }
  });

  it('a conflict on a fresh read still goes back to the caller when it did not ask for retries', async () => {
    const { store } = countingStore();
    await appendDirectly(store, pendingSlow);
    const racing: EventStore = {
      ...store,
      append: async (s, events, options) => {
        await appendDirectly(store, [started(2, 15)]);
        return store.append(s, events, options);
      },
    };
    await expect(run(racing, retryNow)).rejects.toBeInstanceOf(WrongExpectedVersionError);
  });
});

describe('AggregateCache', () => {
  const evolve = (): void => undefined;

  it('keeps at most maxEntries, dropping the least recently used first', () => {
    const cache = new AggregateCache({ maxEntries: 4 });
    for (let i = 0; i < 1000; i += 1) {
      cache.set(`s${i}`, evolve, 0n, {});
      if (cache.get('hot', evolve) === undefined) cache.set('hot', evolve, 0n, {});
      expect(cache.size).toBeLessThanOrEqual(4);
    }
    expect(cache.get('hot', evolve)).toBeDefined(); // used on every turn, never dropped
    expect(cache.get('s999', evolve)).toBeDefined();
    expect(cache.get('s0', evolve)).toBeUndefined();
  });

  it('keeps the estimated bytes under maxBytes, and never a state larger than half of it', () => {
    const big = { payload: 'x'.repeat(1000) };
    const maxBytes = 4 * approximateBytes(big);
    const cache = new AggregateCache({ maxBytes });
    for (let i = 0; i < 100; i += 1) {
      cache.set(`s${i}`, evolve, 0n, big);
      expect(cache.bytes).toBeLessThanOrEqual(maxBytes);
    }
    expect(cache.get('s99', evolve)).toBeDefined();
    cache.set('huge', evolve, 0n, { payload: 'x'.repeat(10_000) });
    expect(cache.get('huge', evolve)).toBeUndefined();
    expect(cache.bytes).toBeLessThanOrEqual(maxBytes);
  });

  it('a stream is kept once: replacing an entry of the older generation counts it once in size and bytes', () => {
    const cache = new AggregateCache({ maxEntries: 4 }); // generations of two
    const state = { at: 0 };
    for (const s of ['a', 'b', 'c']) cache.set(s, evolve, 0n, state); // a and b move to the older generation
    cache.set('a', evolve, 1n, state);
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(3 * approximateBytes(state));
    expect(cache.get('a', evolve)?.revision).toBe(1n);
  });

  it('an older revision never replaces a newer one, and another fold never sees the entry', () => {
    const cache = new AggregateCache();
    cache.set('a', evolve, 5n, { at: 5 });
    cache.set('a', evolve, 3n, { at: 3 });
    expect(cache.get('a', evolve)).toEqual({ revision: 5n, state: { at: 5 } });
    expect(cache.get('a', () => undefined)).toBeUndefined();
  });
});
