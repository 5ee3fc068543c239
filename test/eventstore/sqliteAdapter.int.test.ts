/**
 * What only the embedded SQLite adapter promises, beyond the shared contract: group
 * commit, durability across reopen, sharing the file with another process, and
 * "unavailable" when the file stays locked.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidAppendError, StoreUnavailableError, WrongExpectedVersionError } from '../../src/eventstore/errors.js';
import type { EventToAppend, RecordedEvent } from '../../src/eventstore/port.js';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.js';
import type { SqliteEventStore } from '../../src/eventstore/sqlite/index.js';

const event = (n = 0): EventToAppend => ({ id: randomUUID(), type: 'Tested', data: { n } });

let dir: string;
let file: string;
const open: SqliteEventStore[] = [];
const openStore = (options: { busyTimeoutMs?: number; syncOffLoop?: boolean } = {}): SqliteEventStore => {
  const store = openSqliteEventStore({ file, ...options });
  open.push(store);
  return store;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledgerhook-sqlite-'));
  file = join(dir, 'events.db');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('sqlite group commit', () => {
  it('writes appends that arrive together in one transaction when SQLite syncs inside COMMIT', async () => {
    const store = openStore({ syncOffLoop: false });
    const before = store.stats().transactions;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(`gc-${i}`, [event(i)], { expectedRevision: 'no_stream' })));
    expect(store.stats().transactions - before).toBe(1);
    expect(store.stats().largestBatch).toBe(50);
    expect(new Set(results.map((r) => r.position)).size).toBe(50);
    expect(await store.readAll({ maxCount: 100 })).toHaveLength(50);
  });

  it('with the sync off the loop, writes many appends that arrive together as two halves, in arrival order', async () => {
    const store = openStore();
    const before = store.stats().transactions;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(`gc-${i}`, [event(i)], { expectedRevision: 'no_stream' })));
    expect(store.stats().transactions - before).toBe(2);
    expect(store.stats().largestBatch).toBe(25);
    expect(results.map((r) => r.position)).toEqual(Array.from({ length: 50 }, (_, i) => results[0]!.position + BigInt(i)));
    expect((await store.readAll({ maxCount: 100 })).map((e) => e.stream)).toEqual(Array.from({ length: 50 }, (_, i) => `gc-${i}`));
    // A few appends still share one transaction.
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.append(`gc-${i}`, [event(i)], { expectedRevision: 0n })));
    expect(store.stats().transactions - before).toBe(3);
  });

  it('refuses a conflicting or invalid append alone and commits the rest of its batch', async () => {
    const store = openStore();
    const taken = event();
    await store.append('owner-1', [taken]);
    const transactionsBefore = store.stats().transactions;
    const contended = Array.from({ length: 5 }, () => store.append('contended', [event()], { expectedRevision: 'no_stream' }));
    const reusedId = store.append('thief', [event(), taken]); // second event's id already belongs to owner-1
    const fine = Array.from({ length: 5 }, (_, i) => store.append(`fine-${i}`, [event(i), event(i)]));
    const [contendedOutcomes, reusedOutcome, fineOutcomes] = await Promise.all([
      Promise.allSettled(contended), Promise.allSettled([reusedId]), Promise.allSettled(fine),
    ]);
    expect(store.stats().transactions - transactionsBefore).toBe(1);
    expect(contendedOutcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of contendedOutcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
      expect(o.reason).toBeInstanceOf(WrongExpectedVersionError);
    }
    expect((reusedOutcome[0] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidAppendError);
    expect(await store.readStream('thief')).toEqual([]); // its first event was rolled back with it
    expect(fineOutcomes.every((o) => o.status === 'fulfilled')).toBe(true);
    for (let i = 0; i < 5; i += 1) expect(await store.readStream(`fine-${i}`)).toHaveLength(2);
  });
});

describe('sqlite durability and sharing', () => {
  it('keeps events across close and reopen, and continues positions and revisions', async () => {
    const first = openSqliteEventStore({ file, synchronous: 'NORMAL' });
    const written = await first.append('persist-1', [event(1), event(2)], { expectedRevision: 'no_stream' });
    await first.close();
    const again = openStore();
    const read = await again.readStream('persist-1');
    expect(read.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    const next = await again.append('persist-1', [event(3)], { expectedRevision: written.nextExpectedRevision });
    expect(next.nextExpectedRevision).toBe(2n);
    expect(next.position).toBe(written.position + 1n);
    expect(await again.headPosition()).toBe(next.position);
  });

  it('flushes appends still queued when closed, then refuses new ones as unavailable', async () => {
    const store = openSqliteEventStore({ file });
    const pending = store.append('closing-1', [event()]);
    await store.close();
    await expect(pending).resolves.toMatchObject({ nextExpectedRevision: 0n });
    await expect(store.append('closing-1', [event()])).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.readStream('closing-1')).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('reports a write lock held too long by another connection as StoreUnavailableError, then recovers', async () => {
    const store = openStore({ busyTimeoutMs: 50 });
    await store.append('locked-1', [event()]);
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    await expect(store.append('locked-1', [event()])).rejects.toBeInstanceOf(StoreUnavailableError);
    other.exec('ROLLBACK');
    other.close();
    await expect(store.append('locked-1', [event()], { expectedRevision: 0n })).resolves.toMatchObject({ nextExpectedRevision: 1n });
  });

  it('sees the revision another connection wrote before deciding an append', async () => {
    const service = openStore();
    const cli = openStore();
    await service.append('shared-1', [event(0)], { expectedRevision: 'no_stream' });
    await cli.append('shared-1', [event(1)], { expectedRevision: 0n });
    await expect(service.append('shared-1', [event(2)], { expectedRevision: 0n })).rejects.toMatchObject({ actual: 1n });
    await expect(service.append('shared-1', [event(3)], { expectedRevision: 1n })).resolves.toMatchObject({ nextExpectedRevision: 2n });
    await expect(service.append('shared-1', [event(4)])).resolves.toMatchObject({ nextExpectedRevision: 3n });
    expect((await cli.readStream('shared-1')).map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }, { n: 3 }, { n: 4 }]);
  });

  it('a live subscription sees appends made by another process, interleaved with its own, none lost', async () => {
    const store = openStore();
    const received: RecordedEvent[] = [];
    let caughtUp = false;
    const subscription = store.subscribeToAll({
      prefixes: ['mp-'],
      onEvents: async (batch) => {
        received.push(...batch);
      },
      onCaughtUp: () => {
        caughtUp = true;
      },
    });
    try {
      await until('caught up', () => caughtUp);
      const child = runWriterProcess(file, 'mp-child', 200);
      const own: Promise<unknown>[] = [];
      for (let i = 0; i < 200; i += 1) {
        own.push(store.append(`mp-parent-${i % 7}`, [event(i)]));
        if (i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await Promise.all(own);
      expect(await child).toBe(0);
      await until('400 events', () => received.length >= 400);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(received).toHaveLength(400);
      expect(new Set(received.map((e) => e.id)).size).toBe(400);
      expect(received.filter((e) => e.stream === 'mp-child')).toHaveLength(200);
      expect(received.filter((e) => e.stream === 'mp-child').map((e) => e.revision)).toEqual(Array.from({ length: 200 }, (_, i) => BigInt(i)));
      for (let i = 1; i < received.length; i += 1) expect(received[i]!.position > received[i - 1]!.position).toBe(true);
    } finally {
      await subscription.stop();
    }
  });
});

/** Another OS process appending to the same file through the adapter, as the ops CLI does. */
function runWriterProcess(dbFile: string, stream: string, count: number): Promise<number | null> {
  const adapter = fileURLToPath(new URL('../../src/eventstore/sqlite/index.js', import.meta.url));
  const script = `
    const { openSqliteEventStore } = await import(${JSON.stringify(adapter)});
    const { randomUUID } = await import('node:crypto');
    const store = openSqliteEventStore({ file: ${JSON.stringify(dbFile)} });
    let expected = 'no_stream';
    for (let i = 0; i < ${count}; i += 1) {
      const result = await store.append(${JSON.stringify(stream)}, [{ id: randomUUID(), type: 'FromCli', data: { i } }], { expectedRevision: expected });
      expected = result.nextExpectedRevision;
      if (i % 25 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await store.close();
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}
