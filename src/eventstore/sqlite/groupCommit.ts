/**
 * Group commit: appends that arrive in the same turn of the event loop are written in
 * one transaction (two when many arrive and the fsync runs off the loop, so that one
 * half's fsync overlaps the other half's writes), so N concurrent appends cost one or
 * two fsyncs instead of N. Each append is still decided on its own (expected revision,
 * idempotence) inside that transaction, and one refused append never fails the others:
 * conflicts are found by reading before writing, and a multi-event append runs under a
 * savepoint so a late failure undoes only its own rows.
 */
import type Database from 'better-sqlite3';
import type { DurableLog } from './durableLog.js';
import { decideAppend, expectsActual } from '../appendDecision.js';
import { InvalidAppendError, StoreUnavailableError, WrongExpectedVersionError } from '../errors.js';
import type { AppendResult, ExpectedRevision } from '../port.js';
import type { PreparedEvent } from '../validateAppend.js';
import { toStoreError } from './database.js';
import type { Statements } from './statements.js';

interface PendingAppend {
  readonly stream: string;
  readonly events: readonly PreparedEvent[];
  readonly expected: ExpectedRevision;
  /** Date.now() past which waiting for another process's write lock gives up. */
  readonly lockDeadline: number;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

export interface GroupCommitStats {
  /** Transactions committed by the group committer. */
  transactions: number;
  /** Appends settled by those transactions (written, idempotent or refused). */
  appends: number;
  /** Most appends one transaction carried. */
  largestBatch: number;
}

/** First and longest pause between tries for a write lock another process holds. */
const LOCK_RETRY_FIRST_MS = 2;
const LOCK_RETRY_MAX_MS = 50;

/** Beyond this many appends a transaction is split, so one batch cannot hold the lock for long. */
const MAX_BATCH = 2000;
/**
 * From this many queued appends a flush commits two transactions instead of one (see
 * flush()); below it the second transaction's fixed cost would outweigh the overlap.
 */
const SPLIT_AT = 32;
/** Streams whose last revision is remembered between transactions (cleared when exceeded). */
const MAX_CACHED_STREAMS = 10_000;

/**
 * One executor for every append's promise (it runs synchronously inside the constructor),
 * instead of a new closure per append: the hot path makes one promise per append.
 */
const captured: { resolve: (result: AppendResult) => void; reject: (error: unknown) => void } = { resolve: () => undefined, reject: () => undefined };
function capture(resolve: (result: AppendResult) => void, reject: (error: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

export class GroupCommitter {
  readonly stats: GroupCommitStats = { transactions: 0, appends: 0, largestBatch: 0 };
  #queue: PendingAppend[] = [];
  /**
   * Last revision per stream as this connection last wrote or read it, saving a query
   * per append. Trusted only while PRAGMA data_version is unchanged, i.e. no other
   * connection (the CLI) has committed since; checked under the write lock.
   */
  readonly #lastRevisions = new Map<string, bigint | null>();
  #dataVersion: unknown = undefined;
  /** Set by #apply during one #commit: whether it wrote anything, and its first new position. */
  #wrote = false;
  #firstPosition: bigint | undefined;
  #scheduled = false;
  #lockRetry: NodeJS.Timeout | undefined;
  #lockRetryMs = LOCK_RETRY_FIRST_MS;
  readonly #lockWaitMs: number;
  readonly #db: Database.Database;
  readonly #sql: Statements;
  readonly #now: () => Date;
  readonly #committed: () => void;
  readonly #durable: DurableLog | undefined;
  readonly #afterCommit: (batch: readonly { readonly stream: string }[]) => void;
  /** Transaction control and the lock-wait switch, prepared once: a group commit runs them every time. */
  readonly #control: { begin: Database.Statement; commit: Database.Statement; noWait: Database.Statement; wait: Database.Statement };

  /**
   * `durable`: when given, COMMIT does not fsync (the connection runs synchronous=NORMAL)
   * and every outcome waits for `durable` to fsync the WAL off the event loop, so an
   * acknowledged append is as safe as under synchronous=FULL while the loop keeps serving.
   *
   * `lockWaitMs`: how long an append waits for a write lock held by another process (the
   * CLI, a rebuild) before it fails as StoreUnavailableError. The wait is asynchronous: the
   * lock is tried without SQLite's busy timeout and retried on a timer, so the event loop
   * keeps serving reads, health checks and other work meanwhile.
   */
  constructor(
    db: Database.Database,
    sql: Statements,
    now: () => Date,
    committed: () => void,
    durable?: DurableLog,
    afterCommit: (batch: readonly { readonly stream: string }[]) => void = () => undefined,
    lockWaitMs = 5000,
  ) {
    this.#lockWaitMs = lockWaitMs;
    this.#db = db;
    this.#sql = sql;
    this.#now = now;
    this.#committed = committed;
    this.#durable = durable;
    this.#afterCommit = afterCommit;
    this.#control = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      noWait: db.prepare('PRAGMA busy_timeout = 0'),
      wait: db.prepare(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(lockWaitMs))}`),
    };
  }

  enqueue(stream: string, events: readonly PreparedEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    const promise = new Promise<AppendResult>(capture);
    this.#queue.push({ stream, events, expected, lockDeadline: Date.now() + this.#lockWaitMs, resolve: captured.resolve, reject: captured.reject });
    if (!this.#scheduled && this.#lockRetry === undefined) {
      this.#scheduled = true;
      // setImmediate, not a microtask: writers that resume from the previous commit
      // all get to enqueue before this batch closes.
      setImmediate(this.#flushSoon);
    }
    return promise;
  }

  readonly #flushSoon = (): void => this.flush();

  /**
   * Writes everything queued now. `blocking` (close()) waits for another process's lock on
   * the event loop, up to the lock wait, so nothing accepted is left unwritten.
   */
  flush(blocking = false): void {
    this.#scheduled = false;
    clearTimeout(this.#lockRetry);
    this.#lockRetry = undefined;
    // With the sync off the loop, a large batch is committed as two transactions: the first
    // half's fsync runs on the pool while the second half is written, and its writers are
    // answered (and append again) while the second half's fsync runs. Without this, every
    // writer waits in one cohort for one fsync and the loop idles meanwhile.
    let size = this.#durable !== undefined && this.#queue.length >= SPLIT_AT ? Math.ceil(this.#queue.length / 2) : MAX_BATCH;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, Math.min(size, MAX_BATCH));
      size = MAX_BATCH;
      const waiting = this.#commit(batch, blocking);
      if (waiting.length > 0) {
        this.#queue.unshift(...waiting);
        this.#lockRetry = setTimeout(() => this.flush(), this.#lockRetryMs);
        this.#lockRetryMs = Math.min(this.#lockRetryMs * 2, LOCK_RETRY_MAX_MS);
        return;
      }
    }
    this.#lockRetryMs = LOCK_RETRY_FIRST_MS;
  }

  /** Takes the write lock without blocking the loop (or, `blocking`, waiting up to the lock wait). */
  #begin(blocking: boolean): void {
    if (!blocking) this.#control.noWait.run();
    try {
      this.#control.begin.run();
    } finally {
      if (!blocking) this.#control.wait.run();
    }
  }

  /** Commits the batch; returns the appends still waiting for a lock another process holds. */
  #commit(batch: readonly PendingAppend[], blocking: boolean): readonly PendingAppend[] {
    const broken = this.#durable?.failure;
    if (broken !== undefined) {
      // Nothing written after a failed fsync could be trusted to survive (durableLog.ts).
      const failure = new StoreUnavailableError('The event store could not make an earlier append durable (fsync failed); it accepts no appends until the service is restarted', { cause: broken });
      for (const item of batch) item.reject(failure);
      return [];
    }
    try {
      this.#begin(blocking);
    } catch (error) {
      const busy = (error as { code?: unknown } | null)?.code === 'SQLITE_BUSY';
      const now = Date.now();
      const waiting = busy && !blocking ? batch.filter((item) => item.lockDeadline > now) : [];
      const failure = toStoreError(error, busy ? `Another process held the event store's write lock for ${this.#lockWaitMs} ms` : 'Cannot start an append transaction');
      for (const item of batch) if (!waiting.includes(item)) item.reject(failure);
      return waiting;
    }
    // Each append's answer, in batch order: its result, or the error refusing it alone.
    const outcomes: (AppendResult | WrongExpectedVersionError | InvalidAppendError)[] = [];
    this.#wrote = false;
    this.#firstPosition = undefined;
    try {
      const dataVersion = this.#sql.dataVersion.get();
      if (dataVersion !== this.#dataVersion || this.#lastRevisions.size > MAX_CACHED_STREAMS) this.#lastRevisions.clear();
      this.#dataVersion = dataVersion;
      const created = BigInt(this.#now().getTime());
      for (const item of batch) {
        try {
          outcomes.push(this.#apply(item, created));
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError || error instanceof InvalidAppendError)) throw error;
          outcomes.push(error);
        }
      }
      this.#control.commit.run();
    } catch (error) {
      this.#lastRevisions.clear(); // it may hold revisions that were just rolled back
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      const failure = toStoreError(error, 'Append transaction failed');
      const reported = failure instanceof StoreUnavailableError ? failure : new StoreUnavailableError('Append transaction failed', { cause: error });
      for (const item of batch) item.reject(reported);
      return [];
    }
    this.#afterCommit(batch);
    this.stats.transactions += 1;
    this.stats.appends += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    const wrote = this.#wrote;
    const settle = (): void => {
      if (wrote) this.#committed();
      for (let i = 0; i < batch.length; i += 1) {
        const outcome = outcomes[i];
        const item = batch[i] as PendingAppend;
        if (outcome instanceof Error) item.reject(outcome);
        else item.resolve(outcome as AppendResult);
      }
    };
    if (this.#durable === undefined) settle();
    else this.#durable.afterSync(this.#firstPosition, settle, (error) => {
      const failure = new StoreUnavailableError('The append was committed but could not be made durable (fsync failed)', { cause: error });
      for (const item of batch) item.reject(failure);
    });
    return [];
  }

  /** Decides and writes one append inside the open transaction; notes in #wrote / #firstPosition what it wrote. */
  #apply(item: PendingAppend, created: bigint): AppendResult {
    const { stream, events, expected } = item;
    const sql = this.#sql;
    let last = this.#lastRevisions.get(stream);
    if (last === undefined) {
      last = sql.lastRevision.get(stream) as bigint | null;
      this.#lastRevisions.set(stream, last);
    }
    // The exact-revision case needs neither the ids nor a read: the cached revision decides.
    if (!expectsActual(expected, last ?? 'no_stream')) {
      const decision = decideAppend(stream, expected, events.map((e) => e.id), {
        actual: last ?? 'no_stream',
        idsFrom: (revision, count) => sql.idsFrom.all(stream, revision, count) as string[],
        revisionOf: (id) => (sql.revisionOf.get(id, stream) as bigint | undefined) ?? undefined,
      });
      if (decision.kind === 'already_written') {
        const position = sql.positionAt.get(stream, decision.lastRevision) as bigint;
        return { nextExpectedRevision: decision.lastRevision, position };
      }
    }
    const savepoint = events.length > 1;
    if (savepoint) this.#db.exec('SAVEPOINT one_append');
    try {
      let revision = last ?? -1n;
      let position = 0n;
      let first: bigint | undefined;
      for (const e of events) {
        revision += 1n;
        position = sql.insert.run(e.id, stream, revision, e.type, e.dataJson, e.metadataJson, created).lastInsertRowid as bigint;
        first ??= position;
      }
      if (savepoint) this.#db.exec('RELEASE one_append');
      this.#lastRevisions.set(stream, revision);
      this.#wrote = true;
      this.#firstPosition ??= first;
      return { nextExpectedRevision: revision, position };
    } catch (error) {
      if (savepoint) this.#db.exec('ROLLBACK TO one_append; RELEASE one_append');
      throw this.#explainConstraint(error, stream, events);
    }
  }

  /** A unique-id violation means the id is already used elsewhere in the log: the append is invalid. */
  #explainConstraint(error: unknown, stream: string, events: readonly PreparedEvent[]): unknown {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== 'SQLITE_CONSTRAINT_UNIQUE') return error;
    const taken = events.find((e) => this.#sql.streamOf.get(e.id) !== undefined);
    if (taken === undefined) return error;
    return new InvalidAppendError('invalid_event', `Append to ${stream}: event id ${taken.id} is already in stream ${String(this.#sql.streamOf.get(taken.id))}`);
  }
}
