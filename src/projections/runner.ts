/**
 * The projection runner: subscribes to this service's streams from the lowest checkpoint,
 * and applies each delivered batch to every projection in ONE transaction together with
 * the new checkpoints. Inside the transaction each projection skips events at or below its
 * stored checkpoint, so a re-delivery (the subscription is at-least-once) or a rebuild that
 * moved a checkpoint ahead never applies an event twice. A handler failure rolls back and
 * rethrows: the subscription redelivers the batch after its backoff.
 */
import type Database from 'better-sqlite3';
import type { Registry } from 'prom-client';
import { allStreamPrefixes } from '../domain/streams.js';
import type { EventStore, RecordedEvent, Subscription } from '../eventstore/port.js';
import { Checkpointer } from '../eventstore/sqlite/checkpointer.js';
import { allProjections } from './all.js';
import { applyWithCheckpoints, bindWriters, decodeBatch, discardAll, type DecodedEvent, type ProjectionLogger } from './batch.js';
import { checkpointStore, ensureTables, type Checkpoint } from './database.js';
import { dueSignalsOf, type DueListener } from './dueSignals.js';
import type { Projection } from './projection.js';
import { createRunnerMetrics, type RunnerMetrics } from './runnerMetrics.js';

export interface ProjectionRunnerOptions {
  readonly store: EventStore;
  /** A connection to the read-model file (it may be the one the ReadModels queries use). */
  readonly db: Database.Database;
  readonly logger: ProjectionLogger;
  readonly registry?: Registry;
  /** Default: all of them. */
  readonly projections?: readonly Projection[];
  /**
   * After applying a live batch, wait this long before reading the next one, so that under
   * load one transaction carries the events of several group commits. Default 4 ms; 0 reads
   * again at once. Listeners and waiters are served before the wait, never after it.
   */
  readonly coalesceMs?: number;
}

export interface ProjectionRunner {
  start(): void;
  /** Stops the subscription; resolves once no batch is being applied. */
  stop(): Promise<void>;
  /** Last log position whose batch was applied (or found already applied). */
  position(): Checkpoint;
  /** True once the subscription has delivered everything the log held (then it is live). */
  isCaughtUp(): boolean;
  /** Resolves true once events up to `position` are applied, false after timeoutMs. */
  waitForPosition(position: bigint, timeoutMs: number): Promise<boolean>;
  /** Head position minus each projection's stored checkpoint. */
  lag(): Promise<Map<string, bigint>>;
  /** Called after the commit of a batch that makes messages due now; returns an unsubscribe. */
  onDue(listener: DueListener): () => void;
}

interface Waiter {
  readonly position: bigint;
  readonly resolve: (reached: boolean) => void;
  readonly timer: NodeJS.Timeout;
}

const minCheckpoint = (names: readonly string[], stored: Map<string, bigint>): Checkpoint => {
  let min: Checkpoint | undefined;
  for (const name of names) {
    const cp = stored.get(name);
    if (cp === undefined) return 'start';
    if (min === undefined || (min !== 'start' && cp < min)) min = cp;
  }
  return min ?? 'start';
};

export function createProjectionRunner(options: ProjectionRunnerOptions): ProjectionRunner {
  const { store, db, logger } = options;
  const projections = options.projections ?? allProjections;
  ensureTables(db, projections);
  const checkpoints = checkpointStore(db);
  const bound = bindWriters(db, projections);
  // The read-model connection commits on the event loop; its automatic WAL checkpoints
  // (page copies plus an fsync of the database file) would too. Once it is busy, the
  // worker-thread checkpointer takes them over, as it does for the event store.
  let checkpointer: Checkpointer | undefined;
  const coalesceMs = options.coalesceMs ?? 4;
  const endpointOf = db.prepare('SELECT endpoint_id FROM due_retry WHERE message_id = ?').pluck();
  const listeners = new Set<DueListener>();
  let waiters: Waiter[] = [];
  let processed: Checkpoint = minCheckpoint(projections.map((p) => p.name), checkpoints.all());
  let caughtUp = false;
  let subscription: Subscription | undefined;

  const lag = async (): Promise<Map<string, bigint>> => {
    const head = await store.headPosition();
    const stored = checkpoints.all();
    const headValue = head === 'start' ? 0n : head;
    return new Map(projections.map((p) => {
      const cp = stored.get(p.name);
      const behind = headValue - (cp ?? 0n);
      return [p.name, behind > 0n ? behind : 0n];
    }));
  };
  const metrics: RunnerMetrics | undefined = options.registry
    ? createRunnerMetrics(options.registry, projections.map((p) => p.name), lag)
    : undefined;

  const advance = (position: bigint | 'start'): void => {
    if (position === 'start' || (processed !== 'start' && position <= processed)) return;
    processed = position;
    const [reached, waiting] = [waiters.filter((w) => w.position <= position), waiters.filter((w) => w.position > position)];
    waiters = waiting;
    for (const w of reached) {
      clearTimeout(w.timer);
      w.resolve(true);
    }
  };

  const transaction = db.transaction((batch: readonly DecodedEvent[]) => applyWithCheckpoints(bound, batch, checkpoints));

  const notify = (batch: readonly DecodedEvent[]): void => {
    if (listeners.size === 0) return;
    const signals = dueSignalsOf(batch, (id) => (endpointOf.get(id) as string | undefined) ?? null);
    for (const signal of signals) {
      for (const listener of listeners) {
        try {
          listener(signal);
        } catch (error) {
          logger.error({ err: error }, 'a due listener threw');
        }
      }
    }
  };

  const onEvents = async (events: readonly RecordedEvent[]): Promise<void> => {
    const batch = decodeBatch(events, logger);
    try {
      transaction(batch);
    } catch (error) {
      discardAll(bound);
      logger.error({ err: error, from: events[0]?.position.toString(), count: events.length }, 'projection batch failed; it will be retried');
      throw error;
    }
    checkpointer?.committed();
    metrics?.applied(events.length);
    const last = events[events.length - 1];
    if (last !== undefined) advance(last.position);
    notify(batch);
    // A live batch (caught up): let the next commits gather before the next read. Bounded,
    // and after the waiters and due listeners above, so nothing waits on it but the next batch.
    if (caughtUp && coalesceMs > 0 && subscription !== undefined) await sleep(coalesceMs);
  };

  return {
    start() {
      if (subscription) return;
      if (!db.memory) checkpointer ??= new Checkpointer(db, { file: db.name, startAfterCommits: 100 });
      subscription = store.subscribeToAll({
        fromPosition: processed,
        prefixes: allStreamPrefixes,
        onEvents,
        onCaughtUp: (position) => {
          caughtUp = true;
          advance(position);
        },
        onDropped: (error) => {
          caughtUp = false;
          logger.warn({ err: error }, 'projection subscription dropped; resubscribing');
        },
      });
    },
    async stop() {
      const running = subscription;
      subscription = undefined;
      await running?.stop();
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.resolve(false);
      }
      waiters = [];
      // Hand checkpoints back to the connection: it may outlive this runner.
      await checkpointer?.close();
      checkpointer = undefined;
      if (db.open) db.pragma('wal_autocheckpoint = 1000');
    },
    position: () => processed,
    isCaughtUp: () => caughtUp,
    waitForPosition(position, timeoutMs) {
      if (processed !== 'start' && processed >= position) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w.timer !== timer);
          resolve(false);
        }, timeoutMs);
        waiters.push({ position, resolve, timer });
      });
    },
    lag,
    onDue(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
