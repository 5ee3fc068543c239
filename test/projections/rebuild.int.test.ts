import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore, type SqliteEventStore } from '../../src/eventstore/sqlite/index.js';
import { allProjections, projectionsNamed } from '../../src/projections/all.js';
import { checkpointStore, openReadModelDatabase } from '../../src/projections/database.js';
import { rebuildProjections, type RebuildProgress } from '../../src/projections/rebuild.js';
import { createProjectionRunner, type ProjectionRunner } from '../../src/projections/runner.js';
import type Database from 'better-sqlite3';
import { dumpReadModels } from './support/dump.js';
import * as e from './support/events.js';
import { appendAll, silentLogger, tempDir } from './support/harness.js';

let dir: string;
let cleanup: () => void;
let store: SqliteEventStore;
let db: Database.Database;
let runner: ProjectionRunner;
const file = () => join(dir, 'read-models.sqlite');

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  store = openSqliteEventStore({ file: join(dir, 'events.sqlite'), pollIntervalMs: 5 });
  db = openReadModelDatabase(file());
  runner = createProjectionRunner({ store, db, logger: silentLogger });
  runner.start();
});
afterEach(async () => {
  await runner.stop();
  db.close();
  await store.close();
  cleanup();
});

const lifecycle = (i: number) => {
  const id = `m${i}`;
  return i % 2 === 0
    ? [e.queued(id, i), e.started(id, 1, i + 1), e.succeeded(id, 1, i + 2)]
    : [e.queued(id, i), e.started(id, 1, i + 1), e.failed(id, 1, i + 2), e.retryScheduled(id, 1, i + 2, 60)];
};

async function referenceDump(): Promise<Record<string, unknown[]>> {
  const ref = openReadModelDatabase(join(dir, 'reference.sqlite'));
  const r = createProjectionRunner({ store, db: ref, logger: silentLogger });
  r.start();
  expect(await r.waitForPosition((await store.headPosition()) as bigint, 10_000)).toBe(true);
  await r.stop();
  const dump = dumpReadModels(ref);
  ref.close();
  return dump;
}

const sideTables = () => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\\_\\_rb\\_%' ESCAPE '\\'").pluck().all();

describe('rebuilding while events keep arriving', () => {
  it('ends caught up with none missing, and the live runner keeps working after the swap', async () => {
    await appendAll(store, [e.endpointCreated('ep_1', 0), ...Array.from({ length: 150 }, (_, i) => lifecycle(i)).flat()]);
    let writing = true;
    const writer = (async () => {
      for (let i = 150; writing; i++) await appendAll(store, lifecycle(i));
    })();
    const progress: RebuildProgress[] = [];
    const during: Promise<bigint>[] = [];
    const initial = 1 + 150 * 3.5;
    const result = await rebuildProjections({
      store, file: file(), projections: allProjections, logger: silentLogger, pageSize: 50,
      onProgress: (p) => {
        progress.push(p);
        if (p.phase === 'building') during.push(appendAll(store, lifecycle(50_000 + p.events))); // arrives mid-rebuild
      },
    });
    writing = false;
    await writer;
    await Promise.all(during);
    expect(result.events).toBeGreaterThan(initial); // it saw events that arrived while it ran
    expect(progress.at(-1)?.phase).toBe('done');
    const { read, decode, fold, index, swap } = result.phases;
    for (const part of [read, decode, fold, index, swap]) expect(part).toBeGreaterThanOrEqual(0);
    expect(read + decode + fold + index + swap).toBeLessThanOrEqual(result.seconds); // parts of the whole, none counted twice
    expect(checkpointStore(db).get('messages') as bigint).toBeGreaterThanOrEqual(result.position as bigint);

    await appendAll(store, [e.endpointPaused('ep_1', 10_000), ...lifecycle(100_000)]);
    const head = (await store.headPosition()) as bigint;
    expect(await runner.waitForPosition(head, 10_000)).toBe(true);
    expect(dumpReadModels(db)).toEqual(await referenceDump());
    expect(sideTables()).toEqual([]);
  });

  // 3: one row let go of at a time; 8: two at a time (a quarter of the limit).
  it.each([3, 8])('holding few rows across pages (%i; rows written when evicted, loaded back later) builds the same read models', async (holdRows) => {
    // Lifecycles interleaved so most span pages; a hold of 3 rows evicts them mid-lifecycle.
    const lifecycles = Array.from({ length: 60 }, (_, i) => lifecycle(i));
    const interleaved = lifecycles.flatMap((_, i) => lifecycles.map((l) => l[i]).filter((x) => x !== undefined));
    await appendAll(store, [e.endpointCreated('ep_1', 0), ...interleaved, e.endpointPaused('ep_1', 10_000)]);
    await rebuildProjections({ store, file: file(), projections: allProjections, logger: silentLogger, pageSize: 7, holdRows });
    expect(dumpReadModels(db)).toEqual(await referenceDump());
  });

  it('rebuilds one projection; an interrupted rebuild leaves the live model untouched and no side tables', async () => {
    await appendAll(store, [e.endpointCreated('ep_1', 0), ...Array.from({ length: 100 }, (_, i) => lifecycle(i)).flat()]);
    expect(await runner.waitForPosition((await store.headPosition()) as bigint, 10_000)).toBe(true);
    const before = dumpReadModels(db);
    const controller = new AbortController();
    const interrupted = rebuildProjections({
      store, file: file(), projections: projectionsNamed(['messages']), logger: silentLogger, pageSize: 20, signal: controller.signal,
      onProgress: (p) => {
        if (p.events >= 100) controller.abort(new Error('Ctrl-C'));
      },
    });
    await expect(interrupted).rejects.toThrow('Ctrl-C');
    expect(dumpReadModels(db)).toEqual(before);
    expect(sideTables()).toEqual([]);

    db.prepare('DELETE FROM messages').run(); // a damaged model, repaired by the rebuild
    await rebuildProjections({ store, file: file(), projections: projectionsNamed(['messages']), logger: silentLogger });
    expect(dumpReadModels(db)).toEqual(before);

    // Again, after a swap: side-table index names must not clash, nor be doubled on reopen.
    const indexes = () => db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").pluck().get();
    const count = indexes();
    await rebuildProjections({ store, file: file(), projections: projectionsNamed(['messages']), logger: silentLogger });
    openReadModelDatabase(file()).close();
    createProjectionRunner({ store, db, logger: silentLogger }); // ensures tables on start
    expect(indexes()).toBe(count);
    expect(dumpReadModels(db)).toEqual(before);
  });

  it('refuses a second rebuild of the same read models while one runs, and takes over the lock of a rebuild that died', async () => {
    await appendAll(store, [e.endpointCreated('ep_1', 0), ...Array.from({ length: 100 }, (_, i) => lifecycle(i)).flat()]);
    expect(await runner.waitForPosition((await store.headPosition()) as bigint, 10_000)).toBe(true);
    const before = dumpReadModels(db);
    let second: Promise<unknown> | undefined;
    const first = rebuildProjections({
      store, file: file(), projections: allProjections, logger: silentLogger, pageSize: 20,
      onProgress: (p) => {
        // Settled into a value at once: its refusal arrives while the first is still running.
        if (p.events >= 40) second ??= rebuildProjections({ store, file: file(), projections: projectionsNamed(['messages']), logger: silentLogger }).then(() => 'rebuilt', (error: unknown) => error);
      },
    });
    await first; // the second did not drop the first one's side tables under it
    expect(await second).toMatchObject({ code: 'REBUILD_IN_PROGRESS', message: expect.stringMatching(/already running \(process \d+\)/) });
    expect(dumpReadModels(db)).toEqual(before);
    expect(sideTables()).toEqual([]);

    // A rebuild killed mid-way leaves its lock behind: a dead owner's lock is taken over.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(`${file()}.rebuild-lock`, String(dead));
    await rebuildProjections({ store, file: file(), projections: projectionsNamed(['messages']), logger: silentLogger });
    expect(existsSync(`${file()}.rebuild-lock`)).toBe(false);
    expect(dumpReadModels(db)).toEqual(before);
  });
});
