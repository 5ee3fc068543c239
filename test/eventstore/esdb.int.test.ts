/**
 * The EventStoreDB adapter against the in-process gRPC test server (both append paths),
 * or, when EVENTSTORE_CONNECTION_STRING is set, against that real server instead.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/eventstore/errors.js';
import { createEsdbEventStore } from '../../src/eventstore/esdb/index.js';
import type { EventToAppend, RecordedEvent } from '../../src/eventstore/port.js';
import { describeEventStoreContract } from '../contract/eventStoreContract.js';
import { startEsdbTestServer } from '../support/esdb/testServer.js';
import type { EsdbTestServer } from '../support/esdb/testServer.js';

const external = process.env['EVENTSTORE_CONNECTION_STRING'];
/** Small backoff so a drop is recovered quickly in tests. */
const fast = { resubscribeBackoffMs: { first: 20, max: 500 } } as const;

function event(n: number): EventToAppend {
  return { id: randomUUID(), type: 'Tested', data: { n } };
}

async function until(what: string, condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

if (external) {
  describeEventStoreContract('EventStoreDB (EVENTSTORE_CONNECTION_STRING)', async () => {
    const store = createEsdbEventStore({ connectionString: external, ...fast });
    return {
      store,
      // A real server cannot be restarted from here: the adapter ends its subscriptions'
      // connections itself instead, which exercises the same resubscription path.
      dropConnections: async () => store.dropSubscriptions(),
      close: () => store.close(),
    };
  });
} else {
  for (const batchAppend of [false, true]) {
    describe(`EventStoreDB adapter on the gRPC test server (${batchAppend ? 'BatchAppend' : 'Append'})`, () => {
      let server: EsdbTestServer;
      beforeAll(async () => {
        server = await startEsdbTestServer({ batchAppend });
      });
      afterAll(async () => {
        await server.stop();
      });

      describeEventStoreContract(`EventStoreDB test server, ${batchAppend ? 'BatchAppend' : 'Append'}`, async () => {
        const store = createEsdbEventStore({ connectionString: server.connectionString, ...fast });
        return { store, dropConnections: () => server.restart(), close: () => store.close() };
      });

      it(`the client really used ${batchAppend ? 'BatchAppend' : 'Append'}`, () => {
        expect(server.calls.append > 0).toBe(!batchAppend);
        expect(server.calls.batchAppend > 0).toBe(batchAppend);
      });
    });
  }

  describe('EventStoreDB adapter: server outages', () => {
    for (const [how, cause] of [['shutdown', 'cancelled'], ['crash', 'unavailable']] as const) {
    it(`a ${how} and restart in the middle of a live subscription loses nothing and duplicates nothing, in order`, async () => {
      const server = await startEsdbTestServer({ batchAppend: true });
      const store = createEsdbEventStore({ connectionString: server.connectionString, ...fast });
      const prefix = `rs${randomUUID().slice(0, 8)}-`;
      const received: RecordedEvent[] = [];
      const dropped: unknown[] = [];
      const subscription = store.subscribeToAll({
        prefixes: [prefix],
        onEvents: async (batch) => {
          received.push(...batch);
        },
        onDropped: (error) => dropped.push(error),
      });
      try {
        const written: string[] = [];
        const appendSome = async (from: number, count: number): Promise<void> => {
          for (let i = from; i < from + count; i += 1) {
            const e = event(i);
            written.push(e.id);
            // After a crash the first call on the stale connection fails like this for real
            // too; a caller retries (the API answers 503), so the test does.
            await retry(() => store.append(`${prefix}${i % 4}`, [e]));
          }
        };
        await appendSome(0, 50);
        await until('live events before the restart', () => received.length >= 50);
        await server.restart(how);
        await appendSome(50, 50);
        await until('events after the restart', () => new Set(received.map((e) => e.id)).size >= 100);
        expect(dropped[0]).toBeInstanceOf(StoreUnavailableError);
        expect(((dropped[0] as StoreUnavailableError).cause as { type?: string }).type).toBe(cause);
        const unique = [...new Map(received.map((e) => [e.id, e])).values()];
        expect(unique.map((e) => e.id)).toEqual(written);
        expect(received.map((e) => e.id)).toEqual(written); // resumed from the last delivered position
      } finally {
        await subscription.stop();
        await store.close();
        await server.stop();
      }
    });
    }

    for (const batchAppend of [false, true]) {
      it(`a stopped server turns every call into StoreUnavailableError, promptly (${batchAppend ? 'BatchAppend' : 'Append'})`, async () => {
        const server = await startEsdbTestServer({ batchAppend });
        const store = createEsdbEventStore({ connectionString: server.connectionString, timeoutMs: 5_000, ...fast });
        try {
          await store.append('outage-1', [event(1)]);
          await server.stop();
          const outcomes = await Promise.allSettled([
            store.append('outage-1', [event(2)]),
            store.append('outage-2', [event(3)], { expectedRevision: 'no_stream' }),
            store.readStream('outage-1'),
            store.readAll(),
            store.headPosition(),
          ]);
          for (const outcome of outcomes) {
            expect(outcome.status).toBe('rejected');
            expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
          }
          await server.start();
          const back = await retry(() => store.append('outage-1', [event(4)]));
          expect(back.nextExpectedRevision).toBe(1n);
        } finally {
          await store.close();
          await server.stop();
        }
      });
    }

    for (const batchAppend of [false, true]) {
      it(`an append refused by a follower (leader change) is sent again to the leader it names (${batchAppend ? 'BatchAppend' : 'Append'})`, async () => {
        const server = await startEsdbTestServer({ batchAppend });
        const store = createEsdbEventStore({ connectionString: server.connectionString, ...fast });
        try {
          await store.append('leader-1', [event(0)]);
          server.refuseAppendsAsFollower(1);
          const result = await store.append('leader-1', [event(1)]);
          expect(result.nextExpectedRevision).toBe(1n);
          server.refuseAppendsAsFollower(10);
          const error = await store.append('leader-1', [event(2)]).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(StoreUnavailableError);
          expect(((error as StoreUnavailableError).cause as { type?: string }).type).toBe('not-leader');
          expect((await store.readStream('leader-1')).map((e) => e.revision)).toEqual([0n, 1n]);
        } finally {
          await store.close();
          await server.stop();
        }
      });
    }

    it('a subscription opened while the server is down reports drops and delivers once it is back', async () => {
      const server = await startEsdbTestServer();
      const store = createEsdbEventStore({ connectionString: server.connectionString, ...fast });
      await server.stop();
      const received: RecordedEvent[] = [];
      const dropped: unknown[] = [];
      const subscription = store.subscribeToAll({
        prefixes: ['late-'],
        onEvents: async (batch) => {
          received.push(...batch);
        },
        onDropped: (error) => dropped.push(error),
      });
      try {
        await until('a reported drop', () => dropped.length > 0);
        await server.start();
        await retry(() => store.append('late-1', [event(1)]));
        await until('the event', () => received.length === 1);
        expect(received[0]?.stream).toBe('late-1');
      } finally {
        await subscription.stop();
        await store.close();
        await server.stop();
      }
    });
  });

  describe('EventStoreDB adapter: flow control', () => {
    it('reports caught up only after every event before it, even when a slow handler makes it hold back', async () => {
      const server = await startEsdbTestServer({ batchAppend: true });
      const store = createEsdbEventStore({ connectionString: server.connectionString, subscriptionBatchSize: 50, ...fast });
      const prefix = `slow${randomUUID().slice(0, 8)}-`;
      for (let i = 0; i < 5; i += 1) await store.append(`${prefix}${i}`, Array.from({ length: 600 }, (_, n) => event(n)));
      let received = 0;
      const receivedAtCaughtUp: number[] = [];
      const subscription = store.subscribeToAll({
        prefixes: [prefix],
        onEvents: async (batch) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          received += batch.length;
        },
        onCaughtUp: () => receivedAtCaughtUp.push(received),
      });
      try {
        await until('caught up', () => receivedAtCaughtUp.length > 0, 20_000);
        expect(receivedAtCaughtUp).toEqual([3000]);
      } finally {
        await subscription.stop();
        await store.close();
        await server.stop();
      }
    });
  });

  describe('EventStoreDB adapter: system events', () => {
    it('never hands out $ streams or $ events, and headPosition skips them', async () => {
      const server = await startEsdbTestServer({ systemEventEvery: 1 });
      const store = createEsdbEventStore({ connectionString: server.connectionString, ...fast });
      try {
        const result = await store.append('plain-1', [event(1)]);
        server.log.appendSystem('$$plain-1', '$metadata');
        expect(server.log.records.at(-1)?.stream).toBe('$$plain-1');
        expect(await store.headPosition()).toBe(result.position);
        const all = await store.readAll();
        expect(all.map((e) => e.stream)).toEqual(['plain-1']);
        expect(server.log.records.some((r) => r.stream.startsWith('$'))).toBe(true);
      } finally {
        await store.close();
        await server.stop();
      }
    });
  });
}

/** Retries while the store reports itself unavailable (the client reconnects lazily). */
async function retry<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
