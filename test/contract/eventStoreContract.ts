/**
 * The one behaviour suite every event store adapter runs. It shares the log with
 * whatever else is there (a real EventStoreDB server holds other tests' events and
 * `$` system events), so every test writes under its own random prefix and only
 * ever looks at events under it.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidAppendError, WrongExpectedVersionError } from '../../src/eventstore/errors.js';
import type { InvalidAppendReason } from '../../src/eventstore/errors.js';
import type { EventStore, EventToAppend, ExpectedRevision, RecordedEvent, SubscribeOptions } from '../../src/eventstore/port.js';

export interface ContractSubject {
  store: EventStore;
  /** Make the store's live subscriptions drop, then let them reconnect (EventStoreDB: restart the server; SQLite/memory: an adapter test hook). */
  dropConnections(): Promise<void>;
  close(): Promise<void>;
}

const WAIT_MS = 15_000;

function event(data: unknown = { n: 1 }, type = 'Tested', metadata?: Record<string, unknown>): EventToAppend {
  return { id: randomUUID(), type, data, ...(metadata === undefined ? {} : { metadata }) };
}

function events(count: number, start = 0): EventToAppend[] {
  return Array.from({ length: count }, (_, i) => event({ n: start + i }));
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

async function expectWrongVersion(promise: Promise<unknown>, stream: string, expected: ExpectedRevision, actual: bigint | 'no_stream'): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(WrongExpectedVersionError);
  expect(error).toMatchObject({ stream, expected, actual });
}

async function expectInvalid(promise: Promise<unknown>, reason: InvalidAppendReason): Promise<InvalidAppendError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(InvalidAppendError);
  expect((error as InvalidAppendError).reason).toBe(reason);
  return error as InvalidAppendError;
}

/** A subscription under a prefix that records what it receives. */
function collect(store: EventStore, options: Partial<SubscribeOptions> & { prefixes: readonly string[] }) {
  const received: RecordedEvent[] = [];
  const caughtUp: (bigint | 'start')[] = [];
  const dropped: unknown[] = [];
  const subscription = store.subscribeToAll({
    onEvents: async (batch) => {
      received.push(...batch);
    },
    onCaughtUp: (position) => caughtUp.push(position),
    onDropped: (error) => dropped.push(error),
    ...options,
  });
  return { received, caughtUp, dropped, subscription };
}

function ids(list: readonly { id: string }[]): string[] {
  return list.map((e) => e.id);
}

function uniqueInOrder(list: readonly RecordedEvent[]): RecordedEvent[] {
  const seen = new Set<string>();
  return list.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
}

function expectIncreasing(positions: readonly bigint[]): void {
  for (let i = 1; i < positions.length; i += 1) expect(positions[i]! > positions[i - 1]!).toBe(true);
}

export function describeEventStoreContract(name: string, open: () => Promise<ContractSubject>): void {
  describe(`event store contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: EventStore;
    let prefix: string;
    /** The log's head before the test wrote anything: reads and subscriptions start here, not at the start of a shared log. */
    let origin: bigint | 'start';
    const stream = (suffix: string): string => `${prefix}${suffix}`;

    beforeEach(async () => {
      subject = await open();
      store = subject.store;
      prefix = `ct${randomUUID().replaceAll('-', '').slice(0, 12)}_`;
      origin = await store.headPosition();
    });
    afterEach(async () => {
      await subject.close();
    });

    describe('expected revision', () => {
      it('no_stream creates a stream and refuses an existing one, writing nothing', async () => {
        const s = stream('a-1');
        const first = await store.append(s, events(2), { expectedRevision: 'no_stream' });
        expect(first.nextExpectedRevision).toBe(1n);
        expect(typeof first.position).toBe('bigint');
        await expectWrongVersion(store.append(s, events(1), { expectedRevision: 'no_stream' }), s, 'no_stream', 1n);
        expect(await store.readStream(s)).toHaveLength(2);
      });

      it('any appends to a missing and to an existing stream', async () => {
        const s = stream('a-2');
        expect((await store.append(s, events(1), { expectedRevision: 'any' })).nextExpectedRevision).toBe(0n);
        expect((await store.append(s, events(2))).nextExpectedRevision).toBe(2n);
        expect(await store.readStream(s)).toHaveLength(3);
      });

      it('stream_exists refuses a missing stream and appends to an existing one', async () => {
        const s = stream('a-3');
        await expectWrongVersion(store.append(s, events(1), { expectedRevision: 'stream_exists' }), s, 'stream_exists', 'no_stream');
        expect(await store.readStream(s)).toEqual([]);
        await store.append(s, events(1), { expectedRevision: 'no_stream' });
        expect((await store.append(s, events(1), { expectedRevision: 'stream_exists' })).nextExpectedRevision).toBe(1n);
      });

      it('an exact revision appends when it matches and is refused when behind, ahead or on a missing stream', async () => {
        const s = stream('a-4');
        await expectWrongVersion(store.append(s, events(1), { expectedRevision: 0n }), s, 0n, 'no_stream');
        await store.append(s, events(2), { expectedRevision: 'no_stream' });
        const next = await store.append(s, events(1), { expectedRevision: 1n });
        expect(next.nextExpectedRevision).toBe(2n);
        await expectWrongVersion(store.append(s, events(1), { expectedRevision: 0n }), s, 0n, 2n);
        await expectWrongVersion(store.append(s, events(1), { expectedRevision: 5n }), s, 5n, 2n);
        expect(ids(await store.readStream(s))).toHaveLength(3);
      });

      it('re-appending the same ids at the same revision succeeds once, without duplicates', async () => {
        const s = stream('a-5');
        const batch = events(3);
        const first = await store.append(s, batch, { expectedRevision: 'no_stream' });
        expect(await store.append(s, batch, { expectedRevision: 'no_stream' })).toEqual(first);
        const more = events(2);
        const second = await store.append(s, more, { expectedRevision: 2n });
        expect(await store.append(s, more, { expectedRevision: 2n })).toEqual(second);
        expect(ids(await store.readStream(s))).toEqual(ids([...batch, ...more]));
      });

      it('a re-append that only partly matches what was written is a conflict', async () => {
        const s = stream('a-6');
        const batch = events(2);
        await store.append(s, batch, { expectedRevision: 'no_stream' });
        await expectWrongVersion(store.append(s, [batch[0]!, event()], { expectedRevision: 'no_stream' }), s, 'no_stream', 1n);
        await expectWrongVersion(store.append(s, events(2), { expectedRevision: 'no_stream' }), s, 'no_stream', 1n);
        expect(ids(await store.readStream(s))).toEqual(ids(batch));
      });

      it('100 concurrent appends at the same revision: exactly one wins, 99 get WrongExpectedVersion', async () => {
        const s = stream('a-7');
        await store.append(s, events(1), { expectedRevision: 'no_stream' });
        const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => store.append(s, events(1), { expectedRevision: 0n })));
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(99);
        for (const o of lost) {
          expect(o.reason).toBeInstanceOf(WrongExpectedVersionError);
          expect(o.reason).toMatchObject({ stream: s, expected: 0n, actual: 1n });
        }
        expect(await store.readStream(s)).toHaveLength(2);
      });
    });

    describe('reading', () => {
      it('reads a stream forwards, backwards, from a revision and with a max count', async () => {
        const s = stream('r-1');
        const written = events(5);
        await store.append(s, written, { expectedRevision: 'no_stream' });
        const all = await store.readStream(s);
        expect(ids(all)).toEqual(ids(written));
        expect(all.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
        expect(all.map((e) => e.data)).toEqual(written.map((e) => e.data));
        expect(all.every((e) => e.stream === s && e.type === 'Tested' && e.created instanceof Date)).toBe(true);
        expectIncreasing(all.map((e) => e.position));
        expect(ids(await store.readStream(s, { direction: 'backwards' }))).toEqual(ids(written).reverse());
        expect(ids(await store.readStream(s, { fromRevision: 2n }))).toEqual(ids(written.slice(2)));
        expect(ids(await store.readStream(s, { fromRevision: 1n, maxCount: 2 }))).toEqual(ids(written.slice(1, 3)));
        expect(ids(await store.readStream(s, { direction: 'backwards', fromRevision: 3n, maxCount: 2 }))).toEqual([written[3]!.id, written[2]!.id]);
        expect(ids(await store.readStream(s, { direction: 'backwards', maxCount: 1 }))).toEqual([written[4]!.id]);
        expect(await store.readStream(s, { fromRevision: 9n })).toEqual([]);
      });

      it('reads a missing stream as no events', async () => {
        expect(await store.readStream(stream('never-written'))).toEqual([]);
        expect(await store.readStream(stream('never-written'), { direction: 'backwards' })).toEqual([]);
      });

      it('keeps metadata and hands back plain copies', async () => {
        const s = stream('r-2');
        await store.append(s, [event({ a: [1, { b: null }] }, 'Typed', { correlationId: 'c-1', n: 2 })]);
        const [read] = await store.readStream(s);
        expect(read).toMatchObject({ type: 'Typed', data: { a: [1, { b: null }] }, metadata: { correlationId: 'c-1', n: 2 } });
      });

      it('readAll returns the global log in append order with exclusive positions and a prefix filter', async () => {
        const a = stream('g-a');
        const b = stream('g-b');
        const order: string[] = [];
        for (let i = 0; i < 4; i += 1) {
          const e = event({ i });
          order.push(e.id);
          await store.append(i % 2 === 0 ? a : b, [e]);
        }
        await store.append(`other${randomUUID().slice(0, 8)}-x`, events(1));
        const mine = await store.readAll({ fromPosition: origin, prefixes: [prefix] });
        expect(ids(mine.filter((e) => e.stream.startsWith(prefix)))).toEqual(order);
        const onlyMine = await store.readAll({ fromPosition: origin, prefixes: [prefix], maxCount: 10 });
        expect(onlyMine.every((e) => e.stream.startsWith(prefix))).toBe(true);
        expect(ids(onlyMine)).toEqual(order);
        expectIncreasing(onlyMine.map((e) => e.position));
        const afterSecond = await store.readAll({ fromPosition: onlyMine[1]!.position, prefixes: [prefix] });
        expect(ids(afterSecond)).toEqual(order.slice(2));
        const two = await store.readAll({ fromPosition: origin, prefixes: [a], maxCount: 1 });
        expect(ids(two)).toEqual([order[0]]);
      });

      it('headPosition is at or after the last append', async () => {
        const result = await store.append(stream('h-1'), events(3));
        const head = await store.headPosition();
        expect(head).not.toBe('start');
        expect((head as bigint) >= result.position).toBe(true);
      });
    });

    describe('bad input (nothing written)', () => {
      it('refuses an empty stream name and a $ stream', async () => {
        await expectInvalid(store.append('', events(1)), 'empty_stream_name');
        await expectInvalid(store.append(`$${prefix}sys`, events(1)), 'system_stream');
      });

      it('refuses data that is not JSON-serialisable', async () => {
        const s = stream('bad-1');
        const cyclic: Record<string, unknown> = {};
        cyclic['self'] = cyclic;
        const cases: unknown[] = [undefined, { f: () => 1 }, { n: 10n }, cyclic, { when: new Date(0) }, { x: Number.NaN }, [undefined]];
        for (const data of cases) {
          const error = await expectInvalid(store.append(s, [{ id: randomUUID(), type: 'Bad', data }]), 'not_serializable');
          expect(error.message.length).toBeGreaterThan(10);
        }
        await expectInvalid(store.append(s, [{ id: randomUUID(), type: 'Bad', data: {}, metadata: { f: () => 1 } }]), 'not_serializable');
        // One bad event spoils the whole append.
        await expectInvalid(store.append(s, [event(), { id: randomUUID(), type: 'Bad', data: { n: 1n } }]), 'not_serializable');
        expect(await store.readStream(s)).toEqual([]);
      });

      it('refuses an event id that is not a UUID', async () => {
        const s = stream('bad-2');
        await expectInvalid(store.append(s, [{ id: 'not-a-uuid', type: 'Bad', data: {} }]), 'invalid_event');
        expect(await store.readStream(s)).toEqual([]);
      });

      it('accepts about 900 KB in one append and refuses more than 1 MiB with a clear error', async () => {
        const s = stream('big-1');
        const big = 'x'.repeat(900 * 1024);
        await store.append(s, [event({ big })]);
        const tooBig = await expectInvalid(store.append(s, [event({ big: 'y'.repeat(1024 * 1024) })]), 'too_large');
        expect(tooBig.message).toMatch(/1 MiB|1048576/);
        // The limit is per append, across its events.
        await expectInvalid(store.append(s, [event({ big: 'z'.repeat(600 * 1024) }), event({ big: 'z'.repeat(600 * 1024) })]), 'too_large');
        const read = await store.readStream(s);
        expect(read).toHaveLength(1);
        expect((read[0]!.data as { big: string }).big).toBe(big);
      });
    });

    describe('payload fidelity', () => {
      it('round-trips unicode exactly: emoji, right-to-left text, NUL and escapes', async () => {
        const s = stream('u-1');
        const data = {
          emoji: '👩🏽‍🚀🚀 ✓ 𝄞',
          rtl: 'שלום עולם مرحبا بالعالم',
          nul: 'before\u0000after',
          controls: '\t\n\r\u0001\u001f "quoted" \\ back',
          combining: 'e\u0301 Å',
          nested: { '🔑': ['ñ', 'ß', '中文', ''], empty: {}, zero: 0, negative: -1.5e-7, big: 9007199254740991 },
        };
        const metadata = { note: 'ملاحظة 📝', nul: '\u0000' };
        await store.append(s, [event(data, 'Unicode', metadata)]);
        const [read] = await store.readStream(s);
        expect(read!.data).toEqual(data);
        expect(JSON.stringify(read!.data)).toBe(JSON.stringify(data));
        expect(read!.metadata).toEqual(metadata);
      });

      it('round-trips a ~900 KB mixed unicode payload byte-exact', async () => {
        const s = stream('u-2');
        const chunk = 'abc😀עברית\u0000€';
        const text = chunk.repeat(Math.floor((900 * 1024) / Buffer.byteLength(JSON.stringify(chunk))));
        const data = { text, list: Array.from({ length: 100 }, (_, i) => ({ i, s: `é${i}` })) };
        await store.append(s, [event(data, 'Large')]);
        const [read] = await store.readStream(s);
        expect(Buffer.from(JSON.stringify(read!.data)).equals(Buffer.from(JSON.stringify(data)))).toBe(true);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up across batch boundaries, reports caught up, then goes live with no gap and no duplicate', async () => {
        const written: EventToAppend[] = [];
        for (let i = 0; i < 12; i += 1) {
          const batch = events(100, i * 100);
          written.push(...batch);
          await store.append(stream(`s-${i % 3}`), batch);
        }
        const sub = collect(store, { prefixes: [prefix], fromPosition: origin });
        try {
          await until('catch-up', () => sub.caughtUp.length > 0);
          expect(sub.received.length).toBe(1200);
          const live = events(30, 2000);
          written.push(...live.slice(0, 10));
          await Promise.all(live.slice(0, 10).map((e, i) => store.append(stream(`live-${i}`), [e])));
          for (const e of live.slice(10)) {
            written.push(e);
            await store.append(stream('live-seq'), [e]);
          }
          await until('live events', () => sub.received.length >= written.length);
          await new Promise((resolve) => setTimeout(resolve, 50));
          expect(new Set(ids(sub.received)).size).toBe(written.length);
          expect(sub.received).toHaveLength(written.length);
          expect(ids(sub.received.slice(0, 1200))).toEqual(ids(written.slice(0, 1200)));
          expectIncreasing(sub.received.map((e) => e.position));
          expect(sub.received.every((e) => e.stream.startsWith(prefix))).toBe(true);
        } finally {
          await sub.subscription.stop();
        }
      });

      it('starts after an exclusive position and skips other prefixes', async () => {
        const s = stream('x-1');
        const written = events(5);
        await store.append(s, written);
        await store.append(`zz${randomUUID().slice(0, 8)}-other`, events(3));
        const [, second] = await store.readStream(s);
        const sub = collect(store, { prefixes: [prefix], fromPosition: second!.position });
        try {
          await until('catch-up', () => sub.caughtUp.length > 0);
          expect(ids(sub.received)).toEqual(ids(written.slice(2)));
        } finally {
          await sub.subscription.stop();
        }
      });

      it('resubscribes by itself after the connection drops, missing nothing', async () => {
        const sub = collect(store, { prefixes: [prefix], fromPosition: origin });
        try {
          const before = events(5);
          await store.append(stream('d-1'), before);
          await until('first events', () => sub.received.length >= 5);
          await subject.dropConnections();
          const after = events(5);
          await store.append(stream('d-1'), after);
          await until('events after the drop', () => uniqueInOrder(sub.received).length >= 10);
          expect(sub.dropped.length).toBeGreaterThan(0);
          expect(ids(uniqueInOrder(sub.received))).toEqual(ids([...before, ...after]));
        } finally {
          await sub.subscription.stop();
        }
      });

      it('reports a handler error as a drop and delivers the failed batch again', async () => {
        const s = stream('e-1');
        const written = events(3);
        await store.append(s, written);
        const received: RecordedEvent[] = [];
        const dropped: unknown[] = [];
        let failOnce = true;
        const boom = new Error('handler failed');
        const subscription = store.subscribeToAll({
          prefixes: [prefix],
          fromPosition: origin,
          onEvents: async (batch) => {
            if (failOnce) {
              failOnce = false;
              throw boom;
            }
            received.push(...batch);
          },
          onDropped: (error) => dropped.push(error),
        });
        try {
          await until('redelivery', () => received.length >= 3);
          expect(dropped).toContain(boom);
          expect(ids(received)).toEqual(ids(written));
        } finally {
          await subscription.stop();
        }
      });

      it('stop() resolves only after the handler call in progress has finished', async () => {
        await store.append(stream('stop-1'), events(1));
        let release: () => void = () => undefined;
        let entered = false;
        let finished = false;
        const subscription = store.subscribeToAll({
          prefixes: [prefix],
          fromPosition: origin,
          onEvents: async () => {
            entered = true;
            await new Promise<void>((resolve) => {
              release = resolve;
            });
            finished = true;
          },
        });
        await until('handler entered', () => entered);
        let stopped = false;
        const stopping = subscription.stop().then(() => {
          stopped = true;
        });
        await new Promise((resolve) => setTimeout(resolve, 30));
        expect(stopped).toBe(false);
        release();
        await stopping;
        expect(finished).toBe(true);
      });
    });
  });
}
