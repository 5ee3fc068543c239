/**
 * Rebuilding read models from position zero while the service keeps serving: the events
 * are folded into NEW tables beside the live ones (`<table>__rb_<token>`), then, holding
 * the read-model file's write lock (so the live runner cannot commit meanwhile), the last
 * events are applied, each live table is dropped and its side table renamed into place,
 * and the checkpoint is set to where the rebuild stopped: all in one transaction. The
 * live runner then skips what the rebuild already applied (it compares with the stored
 * checkpoint inside its own transaction). An error or an abort drops the side tables and
 * leaves the live model untouched. One rebuild at a time per read-model file (rebuildLock.ts).
 *
 * Runs on its OWN connection: the final transaction spans awaits (reads from the store),
 * which must not interleave with another user's statements on the same connection.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { allStreamPrefixes } from '../domain/streams.js';
import type { EventStore, RecordedEvent } from '../eventstore/port.js';
import { applyBatch, bindWriters, decodeBatch, discardAll, type ProjectionLogger } from './batch.js';
import { checkpointStore, openReadModelDatabase, type Checkpoint } from './database.js';
import type { Projection } from './projection.js';
import { acquireRebuildLock } from './rebuildLock.js';
import { RowHold } from './rowCache.js';

export interface RebuildProgress {
  readonly phase: 'building' | 'swapping' | 'done';
  /** Events read from the log so far. */
  readonly events: number;
  readonly position: Checkpoint;
  /** The log head when the rebuild started (for a percentage and an ETA). */
  readonly head: Checkpoint;
}

export interface RebuildOptions {
  readonly store: EventStore;
  /** The read-model file; the rebuild opens its own connection to it. */
  readonly file: string;
  readonly projections: readonly Projection[];
  readonly logger: ProjectionLogger;
  /**
   * Events per read and per side-table transaction; default 1000. With rows held across
   * pages (holdRows) a page costs little besides its events, and small pages leave less
   * alive for each young-generation GC to copy (1000 beat 5000 by ~15% here, 20000 was slower).
   */
  readonly pageSize?: number;
  /** Rows each cache keeps in memory across pages (write-back, see RowHold); default 50,000. */
  readonly holdRows?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RebuildProgress) => void;
}

export interface RebuildResult {
  readonly events: number;
  /** The checkpoint the rebuilt projections now have. */
  readonly position: Checkpoint;
  readonly seconds: number;
  /** Where the seconds went: tells ops (and the bench) which part to look at when a rebuild is slow. */
  readonly phases: RebuildPhases;
}

/** Seconds spent in each part of a rebuild; what they leave out of `seconds` is set-up and yielding to the process. */
export interface RebuildPhases {
  /** Reading pages of the log from the store (for the embedded store: SQLite and JSON parsing). */
  readonly read: number;
  /** Decoding events against the domain's schemas. */
  readonly decode: number;
  /** Folding events into rows and writing the rows out (inside the side tables' transactions). */
  readonly fold: number;
  /** Creating the side tables' indexes after the bulk load. */
  readonly index: number;
  /** The locked step: the last events, the swap and its commit. */
  readonly swap: number;
}

const SIDE = '__rb_';

/** Drops side tables a crashed or interrupted rebuild left behind. */
export function dropSideTables(db: Database.Database, projections: readonly Projection[]): void {
  const names = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE '\\'`).pluck();
  for (const projection of projections) {
    for (const table of projection.tables) {
      for (const name of names.all(`${table.name.replaceAll('_', '\\_')}\\_\\_rb\\_%`) as string[]) db.exec(`DROP TABLE IF EXISTS "${name}"`);
    }
  }
}

export async function rebuildProjections(options: RebuildOptions): Promise<RebuildResult> {
  const { store, projections, logger, signal } = options;
  const pageSize = options.pageSize ?? 1000;
  const startedAt = performance.now();
  const release = acquireRebuildLock(options.file); // before dropping leftovers: they may be a running rebuild's
  let db: Database.Database;
  try {
    db = openReadModelDatabase(options.file);
  } catch (error) {
    release();
    throw error;
  }
  db.pragma('cache_size = -262144'); // 256 MiB: the rows a page touches stay in memory
  db.pragma('threads = 2'); // CREATE INDEX may sort on a helper thread (1.7 s -> 1.3 s for the messages indexes of a 1M log)
  const token = randomBytes(4).toString('hex');
  const side = (live: string): string => `${live}${SIDE}${token}`;
  let inTransaction = false;
  try {
    dropSideTables(db, projections);
    // Tables now, indexes after the bulk load: building an index once beats maintaining it per row.
    const ddl = projections.flatMap((p) => p.tables.map((table) => table.create(side(table.name))));
    db.transaction(() => {
      for (const [createTable] of ddl) if (createTable !== undefined) db.exec(createTable);
    })();
    const hold = new RowHold(options.holdRows ?? 50_000);
    const bound = bindWriters(db, projections, side, hold);
    const head = await store.headPosition();
    let position: Checkpoint = 'start';
    let events = 0;
    const phases = { read: 0, decode: 0, fold: 0, index: 0, swap: 0 };
    const since = (started: number): number => (performance.now() - started) / 1000;
    const report = (phase: RebuildProgress['phase']) => options.onProgress?.({ phase, events, position, head });

    const apply = (page: readonly RecordedEvent[]): void => {
      let started = performance.now();
      const batch = decodeBatch(page, logger);
      phases.decode += since(started);
      const from = position;
      started = performance.now();
      try {
        db.transaction(() => applyBatch(bound, batch, () => from, () => undefined))();
      } catch (error) {
        discardAll(bound);
        throw error;
      }
      phases.fold += since(started);
      position = page[page.length - 1]?.position ?? position;
      events += page.length;
    };
    const readPage = async (max: number): Promise<RecordedEvent[]> => {
      const started = performance.now();
      const page = await store.readAll({ fromPosition: position, maxCount: max, prefixes: allStreamPrefixes });
      phases.read += since(started);
      return page;
    };

    // Build beside the live tables, without any lock on them.
    const catchUp = async (): Promise<void> => {
      for (;;) {
        signal?.throwIfAborted();
        const page = await readPage(pageSize);
        if (page.length === 0) return;
        apply(page);
        report('building');
        if (page.length < pageSize) return;
        // Let the rest of the process run between pages (an embedded store's reads never yield).
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await catchUp();
    let started = performance.now();
    db.transaction(() => {
      hold.flushAll(); // the held rows before the indexes, so they are indexed in bulk too
      const flushed = performance.now();
      phases.fold += (flushed - started) / 1000;
      for (const [, ...indexes] of ddl) for (const index of indexes) db.exec(index);
      started = flushed;
    })();
    phases.index += since(started);
    await catchUp(); // what arrived while indexing, so little is left for the locked step

    // Swap: catch up to the head under the write lock, then rename in the same transaction.
    signal?.throwIfAborted();
    report('swapping');
    const swapStarted = performance.now();
    const inPagesBefore = phases.read + phases.decode + phases.fold;
    db.exec('BEGIN IMMEDIATE');
    inTransaction = true;
    const finalHead = await store.headPosition();
    while (finalHead !== 'start' && (position === 'start' || position < finalHead)) {
      const page = (await readPage(pageSize)).filter((event) => event.position <= finalHead);
      if (page.length === 0) break;
      apply(page);
    }
    hold.flushAll();
    const checkpoints = checkpointStore(db);
    for (const p of projections) {
      for (const table of p.tables) {
        db.exec(`DROP TABLE IF EXISTS ${table.name}`);
        db.exec(`ALTER TABLE ${side(table.name)} RENAME TO ${table.name}`);
      }
      checkpoints.set(p.name, position);
    }
    db.exec('COMMIT');
    inTransaction = false;
    // The last pages count as read, decode and fold; max: a difference of float sums may dip below zero.
    phases.swap = Math.max(0, since(swapStarted) - (phases.read + phases.decode + phases.fold - inPagesBefore));
    report('done');
    const seconds = since(startedAt);
    logger.info({ projections: projections.map((p) => p.name), events, position: String(position), seconds, phases }, 'projections rebuilt and swapped in');
    return { events, position, seconds, phases };
  } catch (error) {
    try {
      if (inTransaction) db.exec('ROLLBACK');
      dropSideTables(db, projections);
    } catch (cleanupError) {
      logger.error({ err: cleanupError }, 'could not drop the rebuild side tables; the next rebuild drops them');
    }
    throw error;
  } finally {
    db.close();
    release();
  }
}
