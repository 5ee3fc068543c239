/**
 * The gRPC test server, checked through the real @eventstore/db-client with no adapter
 * in between: the behaviours the client's own suite (packages/test/src/streams) checks
 * for the protocol subset the server speaks. If these pass, the adapter tests above it
 * exercise the real client's code paths against EventStoreDB's semantics.
 *
 * With EVENTSTORE_CONNECTION_STRING set, the same checks run against that real server
 * (which always offers BatchAppend, and cannot be restarted from here), so the test
 * server's assumptions can be confirmed against the real thing.
 */
import { randomUUID } from 'node:crypto';
import {
  BACKWARDS, END, EventStoreDBClient, MaxAppendSizeExceededError, NO_STREAM, START, STREAM_EXISTS, StreamNotFoundError,
  WrongExpectedVersionError, eventTypeFilter, excludeSystemEvents, jsonEvent, streamNameFilter,
} from '@eventstore/db-client';
import type { AllStreamResolvedEvent, AllStreamSubscription, EventData, Filter, Position, ResolvedEvent } from '@eventstore/db-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsdbTestServer } from '../support/esdb/testServer.js';

const external = process.env['EVENTSTORE_CONNECTION_STRING'];

interface Target {
  readonly connectionString: string;
  /** Undefined for a real server. */
  restart?(how: 'shutdown' | 'crash'): Promise<void>;
  stop(): Promise<void>;
}

async function openTarget(options: { batchAppend: boolean }): Promise<Target> {
  if (external) return { connectionString: external, stop: async () => undefined };
  return startEsdbTestServer(options);
}

function testEvents(count: number, type = 'test'): EventData[] {
  return Array.from({ length: count }, (_, i) => jsonEvent({ id: randomUUID(), type, data: { i } }));
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Events of a $all subscription until one of type `last` arrives. */
async function subscribeUntil(subscription: AllStreamSubscription, last: string): Promise<AllStreamResolvedEvent[]> {
  const seen: AllStreamResolvedEvent[] = [];
  for await (const resolved of subscription) {
    seen.push(resolved);
    if (resolved.event?.type === last) break;
  }
  // Leaving the loop only destroys the client's stream object; the call itself needs this.
  await subscription.unsubscribe();
  return seen;
}

for (const batchAppend of external ? [true] : [false, true]) {
  describe(`${external ? 'real EventStoreDB' : 'gRPC test server'}, appends through ${batchAppend ? 'BatchAppend' : 'Append'}`, () => {
    let server: Target;
    let client: EventStoreDBClient;
    beforeAll(async () => {
      server = await openTarget({ batchAppend });
      client = EventStoreDBClient.connectionString(server.connectionString);
    });
    afterAll(async () => {
      await client.dispose();
      await server.stop();
    });

    it('reports a wrong expected version with stream, expected and actual', async () => {
      const stream = `wev-${randomUUID()}`;
      await client.appendToStream(stream, testEvents(2));
      const noStream = await rejection(client.appendToStream(stream, testEvents(1), { expectedRevision: NO_STREAM }));
      expect(noStream).toBeInstanceOf(WrongExpectedVersionError);
      expect(noStream).toMatchObject({ streamName: stream, expectedVersion: NO_STREAM, actualVersion: 1n });
      const exact = await rejection(client.appendToStream(stream, testEvents(1), { expectedRevision: 7n }));
      expect(exact).toMatchObject({ streamName: stream, expectedVersion: 7n, actualVersion: 1n });
      const missing = await rejection(client.appendToStream(`${stream}-none`, testEvents(1), { expectedRevision: STREAM_EXISTS }));
      expect(missing).toMatchObject({ expectedVersion: STREAM_EXISTS, actualVersion: NO_STREAM });
    });

    it('answers a re-append of the same ids at the same revision as the first time, and a partial one as a conflict', async () => {
      const stream = `idem-${randomUUID()}`;
      const events = testEvents(3);
      const first = await client.appendToStream(stream, events, { expectedRevision: NO_STREAM });
      expect(await client.appendToStream(stream, events, { expectedRevision: NO_STREAM })).toEqual(first);
      expect(await rejection(client.appendToStream(stream, [events[0]!, ...testEvents(1)], { expectedRevision: NO_STREAM }))).toBeInstanceOf(WrongExpectedVersionError);
      expect(await collect(client.readStream(stream))).toHaveLength(3);
    });

    it('refuses an append over the 1 MiB limit', async () => {
      const big = Array.from({ length: 3 }, () => jsonEvent({ type: 'big', data: { s: 'x'.repeat(400 * 1024) } }));
      const error = await rejection(client.appendToStream(`big-${randomUUID()}`, big));
      expect(error).toBeInstanceOf(MaxAppendSizeExceededError);
      expect((error as MaxAppendSizeExceededError).maxAppendSize).toBe(1024 * 1024);
    });

    it('writes an append split over many request messages whole and in order', async () => {
      const stream = `split-${randomUUID()}`;
      const events = testEvents(50);
      const result = await client.appendToStream(stream, events, { batchAppendSize: 600 });
      expect(result.nextExpectedRevision).toBe(49n);
      const read = await collect(client.readStream(stream));
      expect(read.map((r) => r.event?.id)).toEqual(events.map((e) => e.id));
      expect(result.position).toEqual(read[49]?.event?.position);
    });
  });
}

describe(`${external ? 'real EventStoreDB' : 'gRPC test server'}: reads and subscriptions`, () => {
  let server: Target;
  let client: EventStoreDBClient;
  const a = `stream_a_${randomUUID().slice(0, 8)}`;
  const b = `stream_b_${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    server = await openTarget({ batchAppend: false });
    client = EventStoreDBClient.connectionString(server.connectionString);
    await client.appendToStream(a, testEvents(4));
    await client.appendToStream(b, testEvents(4));
  });
  afterAll(async () => {
    await client.dispose();
    await server.stop();
  });

  it('reads a stream forwards, backwards, from a revision (inclusive) and with a count', async () => {
    const revisions = async (read: AsyncIterable<ResolvedEvent>): Promise<(bigint | undefined)[]> => (await collect(read)).map((r) => r.event?.revision);
    expect(await revisions(client.readStream(a))).toEqual([0n, 1n, 2n, 3n]);
    expect(await revisions(client.readStream(a, { fromRevision: 2n }))).toEqual([2n, 3n]);
    expect(await revisions(client.readStream(a, { direction: BACKWARDS, fromRevision: END, maxCount: 2 }))).toEqual([3n, 2n]);
    expect(await revisions(client.readStream(a, { direction: BACKWARDS, fromRevision: 1n }))).toEqual([1n, 0n]);
    expect(await revisions(client.readStream(a, { fromRevision: 10n }))).toEqual([]);
    const [first] = await collect(client.readStream(a, { maxCount: 1 }));
    expect(first?.event).toMatchObject({ streamId: a, type: 'test', data: { i: 0 }, isJson: true });
    expect(first?.event?.created).toBeInstanceOf(Date);
    expect(Math.abs(first!.event!.created.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('throws StreamNotFoundError while iterating a missing stream', async () => {
    const error = await rejection(collect(client.readStream(`missing-${randomUUID()}`)));
    expect(error).toBeInstanceOf(StreamNotFoundError);
  });

  it('reads $all with system events first, an inclusive position forwards and an exclusive one backwards', async () => {
    const all = await collect(client.readAll());
    const mine = (list: AllStreamResolvedEvent[]): (string | undefined)[] => list.filter((r) => r.event?.streamId === a || r.event?.streamId === b).map((r) => r.event?.id);
    expect(all.length).toBeGreaterThan(8);
    expect(all[0]?.event?.streamId.startsWith('$')).toBe(true);
    expect(all.filter((r) => r.event?.streamId === a || r.event?.streamId === b).map((r) => r.event?.streamId)).toEqual([a, a, a, a, b, b, b, b]);
    const third = all[2]!;
    expect(await collect(client.readAll({ maxCount: 1, fromPosition: third.event!.position }))).toEqual([third]);
    const before = await collect(client.readAll({ direction: BACKWARDS, fromPosition: third.event!.position }));
    expect(before.map((r) => r.event?.id)).toEqual([all[1]?.event?.id, all[0]?.event?.id]);
    const backwards = await collect(client.readAll({ direction: BACKWARDS, fromPosition: END }));
    expect(mine(backwards)).toEqual(mine(all).reverse());
    expect(await collect(client.readAll({ maxCount: 2 }))).toHaveLength(2);
  });

  it.each<[string, (k: string) => string, (name: string) => Filter, 'stream' | 'type']>([
    ['stream prefixes', (k) => `prefix_filter_streamname_${k}`, () => streamNameFilter({ prefixes: ['prefix_filter_streamname'] }), 'stream'],
    ['stream regex', (k) => `${Math.floor(Math.random() * 1000)}_regex_filter_streamname_${k}`, () => streamNameFilter({ regex: '^[0-9]*_regex_filter_streamname_' }), 'stream'],
    ['event type prefixes', (k) => `prefix_filter_eventType_${k}`, () => eventTypeFilter({ prefixes: ['prefix_filter_eventType'] }), 'type'],
    ['event type regex', (k) => `${Math.floor(Math.random() * 1000)}_regex_filter_eventType_${k}`, () => eventTypeFilter({ regex: '^[0-9]*_regex_filter_eventType_[A-z]*$' }), 'type'],
  ])('subscribes to $all with a %s filter', async (_name, named, filter, on) => {
    const finish = named('finish');
    const stream = (k: string): string => (on === 'stream' ? named(k) : `filter_${randomUUID().slice(0, 6)}_${k}`);
    const type = (k: string): string => (on === 'type' ? named(k) : 'test');
    await client.appendToStream(stream('a'), testEvents(8, type('a')));
    await client.appendToStream(stream('b'), testEvents(8, type('b')));
    await client.appendToStream(stream('a'), [...testEvents(8, type('c')), jsonEvent({ type: finish, data: {} })]);
    const seen = await subscribeUntil(client.subscribeToAll({ fromPosition: START, filter: filter(finish) }), finish);
    expect(seen).toHaveLength(25);
  });

  it('subscribes to $all without system events, after an exclusive position', async () => {
    const stream = `exclusive-${randomUUID()}`;
    const marker = await client.appendToStream(stream, testEvents(1, 'marker'));
    await client.appendToStream(stream, [...testEvents(3), jsonEvent({ type: 'finish_exclusive', data: {} })]);
    const seen = await subscribeUntil(client.subscribeToAll({ fromPosition: marker.position!, filter: excludeSystemEvents() }), 'finish_exclusive');
    expect(seen.map((r) => r.event?.type)).toEqual(['test', 'test', 'test', 'finish_exclusive']);
    const everything = await subscribeUntil(client.subscribeToAll({ fromPosition: START, filter: excludeSystemEvents() }), 'finish_exclusive');
    expect(everything.every((r) => !r.event?.type.startsWith('$'))).toBe(true);
  });

  it('sends confirmation, checkpoints every interval x 32 examined events (awaited), caught-up, then live events', async () => {
    const marker = await client.appendToStream(b, testEvents(1, 'marker_event'));
    await client.appendToStream(a, testEvents(8));
    const checkpoints: Position[] = [];
    let inCheckpoint = false;
    let overlapped = false;
    let caughtUp = 0;
    let confirmations = 0;
    const subscription = client.subscribeToAll({
      fromPosition: marker.position!,
      filter: excludeSystemEvents({
        checkpointInterval: 2,
        checkpointReached: async (_sub, position) => {
          checkpoints.push(position);
          inCheckpoint = true;
          await new Promise((resolve) => setTimeout(resolve, 20));
          inCheckpoint = false;
        },
      }),
    });
    subscription.on('confirmation', () => (confirmations += 1));
    subscription.on('caughtUp', () => (caughtUp += 1));
    subscription.on('data', () => (overlapped ||= inCheckpoint));
    const done = subscribeUntil(subscription, 'checkpoints-finish');
    for (let i = 0; i < 18; i += 1) await client.appendToStream(a, testEvents(20));
    await client.appendToStream(a, [...testEvents(15), jsonEvent({ type: 'checkpoints-finish', data: {} })]);
    const seen = await done;
    expect(seen).toHaveLength(384);
    expect(confirmations).toBe(1);
    expect(caughtUp).toBe(1);
    expect(overlapped).toBe(false);
    expect(checkpoints.length).toBeGreaterThanOrEqual(6);
    expect(checkpoints.length).toBeLessThanOrEqual(7);
    for (const { commit, prepare } of checkpoints) expect(typeof commit === 'bigint' && commit === prepare).toBe(true);
  });

  it('subscribes to a stream after an exclusive revision, then live', async () => {
    const stream = `sub-stream-${randomUUID()}`;
    await client.appendToStream(stream, testEvents(3));
    const subscription = client.subscribeToStream(stream, { fromRevision: 0n });
    let caughtUp = false;
    subscription.on('caughtUp', () => (caughtUp = true));
    const seen: (bigint | undefined)[] = [];
    const done = (async () => {
      for await (const resolved of subscription) {
        seen.push(resolved.event?.revision);
        if (seen.length === 3) break;
      }
    })();
    while (!caughtUp) await new Promise((resolve) => setTimeout(resolve, 5));
    await client.appendToStream(stream, testEvents(1));
    await done;
    expect(seen).toEqual([1n, 2n, 3n]);
  });

  it.skipIf(external !== undefined).each([
    ['shut down', 'shutdown', 'cancelled'],
    ['crashed', 'crash', 'unavailable'],
  ] as const)('cuts a live subscription when %s (the client sees %s), and serves the same log after a restart', async (_what, how, type) => {
    const subscription = client.subscribeToAll({ fromPosition: END });
    const failed = new Promise<unknown>((resolve) => subscription.on('error', resolve));
    await new Promise<void>((resolve) => subscription.on('confirmation', resolve));
    const before = (await collect(client.readAll())).length;
    await server.restart?.(how);
    expect((await failed as { type?: string }).type).toBe(type);
    const after = await collect(client.readAll());
    expect(after).toHaveLength(before);
  });
});
