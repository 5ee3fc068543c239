/**
 * The embedded event store: one SQLite file (WAL), appends group-committed, reads
 * straight from the file. Safe to share with another process (the ops CLI): writes
 * take SQLite's write lock (waiting up to the busy timeout), and live subscriptions
 * poll the head every `pollIntervalMs` so they see appends made elsewhere.
 */
import { startTrackedSubscription } from '../catchUpSubscription.js';
import type { DroppableSubscription, LogWindow } from '../catchUpSubscription.js';
import { passesFilter } from '../catchUpSubscription.js';
import { ChangeSignal } from '../changeSignal.js';
import { StoreUnavailableError } from '../errors.js';
import type {
  AppendOptions, AppendResult, EventStore, EventToAppend, ReadAllOptions, ReadStreamOptions, RecordedEvent,
  SubscribeOptions, Subscription,
} from '../port.js';
import { validateAppend } from '../validateAppend.js';
import { openDatabase, toStoreError } from './database.js';
import type { OpenDatabaseOptions } from './database.js';
import { Checkpointer } from './checkpointer.js';
import { DurableLog } from './durableLog.js';
import type { SyncFile } from './durableLog.js';
import { StreamCache } from './streamCache.js';
import { GroupCommitter } from './groupCommit.js';
import type { GroupCommitStats } from './groupCommit.js';
import { prepareStatements } from './statements.js';
import type { EventRow } from './statements.js';

export interface SqliteEventStoreOptions extends OpenDatabaseOptions {
  /** Clock for `created`; default the system clock. */
  readonly now?: () => Date;
  /** Events per onEvents call while catching up; default 500. */
  readonly subscriptionBatchSize?: number;
  /** How often live subscriptions look for appends by other processes (ms); default 50. */
  readonly pollIntervalMs?: number;
  /**
   * With synchronous FULL (the default): fsync the WAL on the thread pool after each group
   * commit instead of inside COMMIT on the event loop; appends are still acknowledged only
   * once durable (see durableLog.ts). Default true; false keeps SQLite's own FULL commit.
   */
  readonly syncOffLoop?: boolean;
  /** Run WAL checkpoints in a worker thread once the store is busy (see checkpointer.ts). Default true. */
  readonly checkpointOffLoop?: boolean;
  /**
   * Streams (by name prefix) whose whole-stream reads are served from memory: small, hot,
   * rarely written ones, e.g. the endpoint every send loads. Default none. See StreamCache.
   */
  readonly cachedStreamPrefixes?: readonly string[];
  /** Test hook: what fsyncs the WAL when the sync runs off the loop (default fdatasync). */
  readonly syncFile?: SyncFile;
}

export interface SqliteEventStore extends EventStore {
  /** Group-commit counters (transactions vs appends), for tests and the bench. */
  stats(): Readonly<GroupCommitStats>;
  /** Test hook: every live subscription drops (onDropped is called) and then resubscribes. */
  dropSubscriptions(): void;
}

/**
 * The checkpoint worker starts once the WAL holds this much (or after 500 commits): half of
 * SQLite's own checkpoint point (1000 pages of 4 KiB), so group commits of a few hundred
 * pages each never reach a checkpoint on the event loop first.
 */
const CHECKPOINT_WORKER_AFTER_WAL_BYTES = 2 * 1024 * 1024;
/**
 * Under sustained appends the worker's PASSIVE checkpoints never quite catch up, so SQLite
 * never starts the WAL over: in the bench it grew past 400 MB in 3 s. Past this many frames
 * (16 MiB of 4 KiB pages) the worker restarts it (see checkpointer.ts), and commits then
 * overwrite the file instead of extending it. A restart needs a gap between two commits, so
 * under back-to-back commits the file can still reach a few times that size (11-45 MB in the
 * tests' burst of 10,000 commits, against 125 MB without restarts).
 */
const WAL_RESTART_AFTER_FRAMES = 4096;

export function openSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  const db = openDatabase(options);
  const offLoop = (options.synchronous ?? 'FULL') === 'FULL' && (options.syncOffLoop ?? true) && options.file !== ':memory:' && options.file !== '';
  // NORMAL on this connection only: COMMIT writes the WAL, DurableLog makes it durable.
  if (offLoop) db.pragma('synchronous = NORMAL');
  const durable = offLoop ? new DurableLog(options.file, options.syncFile === undefined ? {} : { sync: options.syncFile }) : undefined;
  const sql = prepareStatements(db);
  const now = options.now ?? ((): Date => new Date());
  const batchSize = options.subscriptionBatchSize ?? 500;
  const changes = new ChangeSignal();
  const subscriptions = new Set<DroppableSubscription>();
  const checkpointer = options.file === ':memory:' || options.file === '' || options.checkpointOffLoop === false ? undefined : new Checkpointer(db, { file: options.file, startAfterWalBytes: CHECKPOINT_WORKER_AFTER_WAL_BYTES, restartAfterFrames: WAL_RESTART_AFTER_FRAMES, ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }) });
  const cache = new StreamCache(options.cachedStreamPrefixes ?? [], () => sql.dataVersion.get());
  const committer = new GroupCommitter(db, sql, now, () => changes.bump(), durable, (batch) => {
    for (const { stream } of batch) cache.forget(stream); // no cached stream may hide what this commit wrote
    checkpointer?.committed();
  }, options.busyTimeoutMs ?? 5000);
  let closed = false;

  const guard = <T>(what: string, run: () => T): T => {
    if (closed) throw new StoreUnavailableError(`The event store is closed (${what})`);
    try {
      return run();
    } catch (error) {
      throw toStoreError(error, `Cannot ${what}`);
    }
  };

  // Appends by other processes: look at the head while someone is waiting for news.
  let seenHead = guard('read the head', () => (sql.head.get() as bigint | null) ?? 0n);
  const poller = setInterval(() => {
    if (changes.waiting === 0 || closed) return;
    try {
      const head = (sql.head.get() as bigint | null) ?? 0n;
      if (head !== seenHead) {
        seenHead = head;
        changes.bump();
      }
    } catch {
      // A busy or failing read now is retried on the next tick; subscriptions surface real read failures.
    }
  }, options.pollIntervalMs ?? 50);
  poller.unref();

  // Not async: the committer's promise is handed back as is (one promise per append, not two).
  const append = (stream: string, events: readonly EventToAppend[], appendOptions?: AppendOptions): Promise<AppendResult> => {
    try {
      if (closed) throw new StoreUnavailableError('The event store is closed (append)');
      return committer.enqueue(stream, validateAppend(stream, events), appendOptions?.expectedRevision ?? 'any');
    } catch (error) {
      return Promise.reject(error as Error); // a refusal is a rejected promise, as from an async function
    }
  };

  /**
   * Once an fsync failed, the events committed from the first one it covered on were refused
   * to their callers and may not survive a restart: reads must not show them either (null:
   * the log is sound). Such a read also bypasses the stream cache, which may hold them.
   */
  const refusedFrom = (): bigint | null => (durable?.failure === undefined ? null : durable.durableBelow());
  const withoutRefused = (rows: EventRow[], from: bigint | null): EventRow[] => (from === null ? rows : rows.filter((row) => row[0] < from));

  const readStream = async (stream: string, readOptions: ReadStreamOptions = {}): Promise<RecordedEvent[]> =>
    guard('read a stream', () => {
      const max = readOptions.maxCount ?? -1; // SQLite: a negative LIMIT means none
      const from = readOptions.fromRevision;
      const refused = refusedFrom();
      if (readOptions.direction === 'backwards') {
        const upTo = from === undefined || from === 'end' ? BigInt(Number.MAX_SAFE_INTEGER) : from === 'start' ? 0n : from;
        if (refused === null) return (sql.backwards.all(stream, upTo, max) as EventRow[]).map(toRecorded);
        const kept = withoutRefused(sql.backwards.all(stream, upTo, -1) as EventRow[], refused); // the refused come first
        return (max < 0 ? kept : kept.slice(0, max)).map(toRecorded);
      }
      if (from === 'end') return []; // forwards from the end: nothing after the last event
      const start = from === undefined || from === 'start' ? 0n : from;
      if (refused !== null) return withoutRefused(sql.forwards.all(stream, start, max) as EventRow[], refused).map(toRecorded);
      const whole = (from === undefined || from === 'start') && readOptions.maxCount === undefined;
      const cached = whole ? cache.get(stream) : undefined;
      if (cached !== undefined) return [...cached];
      const events = (sql.forwards.all(stream, start, max) as EventRow[]).map(toRecorded);
      if (whole) cache.offer(stream, events);
      return events;
    });

  const readAfter = async (after: bigint | 'start', max: number, prefixes: readonly string[] | undefined): Promise<LogWindow> =>
    guard('read the log', () => {
      let rows = sql.after.all(after === 'start' ? 0n : after, max) as EventRow[];
      let atEnd = rows.length < max;
      // Subscribers (read models) see only what is on disk: never an event a power cut could still take back.
      const durableBelow = durable?.durableBelow() ?? null;
      if (durableBelow !== null && rows.length > 0 && (rows[rows.length - 1] as EventRow)[0] >= durableBelow) {
        rows = rows.filter((row) => row[0] < durableBelow);
        atEnd = true;
      }
      const last = rows[rows.length - 1];
      // One pass, no intermediate arrays: a rebuild maps every row of the log through here.
      const events: RecordedEvent[] = [];
      for (const row of rows) if (passesFilter(row[2], prefixes)) events.push(toRecorded(row));
      return { events, scannedTo: last?.[0] ?? after, atEnd };
    });

  const readAll = async (readOptions: ReadAllOptions = {}): Promise<RecordedEvent[]> => {
    const maxCount = readOptions.maxCount ?? 1000;
    const found: RecordedEvent[] = [];
    let position = readOptions.fromPosition ?? 'start';
    // With a filter, keep scanning until maxCount events pass or the log ends.
    for (;;) {
      const window = await readAfter(position, Math.max(maxCount, 500), readOptions.prefixes);
      if (found.length === 0 && (window.events.length >= maxCount || window.atEnd)) return window.events.length > maxCount ? window.events.slice(0, maxCount) : window.events;
      for (const event of window.events) found.push(event);
      position = window.scannedTo;
      if (found.length >= maxCount || window.atEnd) return found.slice(0, maxCount);
    }
  };

  const subscribeToAll = (subscribeOptions: SubscribeOptions): Subscription => {
    if (closed) throw new StoreUnavailableError('The event store is closed (subscribe)');
    return startTrackedSubscription({ readAfter, changes }, subscribeOptions, batchSize, subscriptions);
  };

  return {
    append,
    readStream,
    readAll,
    subscribeToAll,
    headPosition: async () =>
      guard('read the head', () => {
        const refused = refusedFrom();
        return ((refused === null ? sql.head.get() : sql.headBelow.get(refused)) as bigint | null) ?? 'start';
      }),
    brokenBecause: () => {
      const failure = durable?.failure;
      if (failure === undefined) return undefined;
      const code = (failure as { code?: unknown } | null)?.code;
      return `an fsync of the event log failed${typeof code === 'string' ? ` (${code})` : ''}: appends are refused until the service is restarted`;
    },
    stats: () => ({ ...committer.stats }),
    dropSubscriptions: () => {
      for (const s of subscriptions) s.drop(new StoreUnavailableError('connection dropped (test hook)'));
    },
    close: async () => {
      if (closed) return;
      committer.flush(true); // nothing accepted is left unwritten
      closed = true;
      await durable?.settled(); // nor unsynced
      clearInterval(poller);
      await Promise.all([...subscriptions].map((s) => s.stop()));
      subscriptions.clear();
      await checkpointer?.close();
      durable?.close();
      db.close();
    },
  };
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row[1],
    type: row[4],
    data: JSON.parse(row[5]) as unknown,
    // Most events carry no metadata: skip the parser for them (a fresh object each time, as JSON.parse gives).
    metadata: row[6] === '{}' ? {} : (JSON.parse(row[6]) as Record<string, unknown>),
    stream: row[2],
    revision: row[3],
    position: row[0],
    created: new Date(Number(row[7])),
  };
}
