/**
 * The embedded store's in-memory copy of small hot streams (src/eventstore/sqlite/streamCache.ts)
 * must never show a stream older than the log: not after this store's own append, not
 * after another connection's, and not after a caller tried to change what it read.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.js';
import type { SqliteEventStore } from '../../src/eventstore/sqlite/index.js';

let dir: string;
const open: SqliteEventStore[] = [];
const openStore = (): SqliteEventStore => {
  const store = openSqliteEventStore({ file: join(dir, 'events.db'), cachedStreamPrefixes: ['endpoint-'] });
  open.push(store);
  return store;
};
const event = (n: number) => ({ id: randomUUID(), type: 'Tested', data: { n, nested: { list: [n] } } });
const ns = (events: readonly { data: unknown }[]) => events.map((e) => (e.data as { n: number }).n);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledgerhook-cache-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('sqlite stream cache', () => {
  it("shows this store's own append as soon as it resolves", async () => {
    const store = openStore();
    await store.append('endpoint-a', [event(1)]);
    expect(ns(await store.readStream('endpoint-a'))).toEqual([1]);
    expect(ns(await store.readStream('endpoint-a'))).toEqual([1]); // now from memory
    await store.append('endpoint-a', [event(2)], { expectedRevision: 0n });
    expect(ns(await store.readStream('endpoint-a'))).toEqual([1, 2]);
  });

  it('keeps a stream in memory while other streams are appended to, and drops it when it is', async () => {
    const store = openStore();
    await store.append('endpoint-e', [event(1)]);
    const [first] = await store.readStream('endpoint-e');
    await store.append('endpoint-f', [event(5)]);
    await store.append('message-y', [event(6)]);
    const [kept] = await store.readStream('endpoint-e');
    expect(kept).toBe(first); // the same object: served from memory, not read and parsed again
    await store.append('endpoint-e', [event(2)], { expectedRevision: 0n });
    const again = await store.readStream('endpoint-e');
    expect(ns(again)).toEqual([1, 2]);
    expect(again[0]).not.toBe(first);
  });

  it("shows another connection's append on the next read", async () => {
    const mine = openStore();
    const other = openStore();
    await mine.append('endpoint-b', [event(1)]);
    expect(ns(await mine.readStream('endpoint-b'))).toEqual([1]);
    await other.append('endpoint-b', [event(2)], { expectedRevision: 0n });
    expect(ns(await mine.readStream('endpoint-b'))).toEqual([1, 2]);
  });

  it('hands out events a caller cannot change for the next reader', async () => {
    const store = openStore();
    await store.append('endpoint-c', [event(1)]);
    (await store.readStream('endpoint-c')).pop(); // the array is the caller's own
    (await store.readStream('endpoint-c')).pop();
    const [again] = await store.readStream('endpoint-c');
    expect(() => ((again?.data as { n: number }).n = 99)).toThrow(TypeError);
    expect(ns(await store.readStream('endpoint-c'))).toEqual([1]);
  });

  it('partial reads and streams outside the prefixes still come from the file', async () => {
    const store = openStore();
    await store.append('endpoint-d', [event(1), event(2), event(3)]);
    await store.readStream('endpoint-d');
    expect(ns(await store.readStream('endpoint-d', { fromRevision: 1n }))).toEqual([2, 3]);
    expect(ns(await store.readStream('endpoint-d', { direction: 'backwards', maxCount: 1 }))).toEqual([3]);
    await store.append('message-x', [event(7)]);
    expect(ns(await store.readStream('message-x'))).toEqual([7]);
  });
});
