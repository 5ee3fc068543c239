/**
 * Durability without blocking the event loop. Under synchronous=FULL SQLite fsyncs the
 * WAL inside COMMIT, on the main thread: with better-sqlite3 that froze the whole process
 * for every group commit (20% of a retry-now's time in the API bench, BENCHMARKS.md).
 * Instead the connection runs synchronous=NORMAL (COMMIT only write()s the WAL; SQLite
 * still syncs it before every checkpoint) and this class fdatasyncs the WAL file on the
 * libuv thread pool after each commit; appends are acknowledged only once a sync that
 * STARTED after their COMMIT has returned. fsync flushes the file (inode), whichever
 * descriptor or call asks, so an acknowledged append survives power loss exactly as
 * under FULL.
 *
 * Up to `maxInFlight` syncs run at once, so a commit made while a sync runs gets its own
 * sync at once instead of waiting for the running one to end (the group committer splits
 * a large batch so that the first half's sync overlaps the second half's writes). A sync
 * that succeeds covers everything committed before it started, including the commits of
 * earlier syncs still running: those are acknowledged with it, always in commit order.
 * Each sync runs on a descriptor of its own (see #fds), so no success can hide an error.
 * Commits made while `maxInFlight` syncs run wait for the next one, which then covers all
 * of them (group commit of the fsync itself).
 *
 * Until its sync returns, a committed event is visible to this process's own stream reads
 * (a command deciding on it appends after it, and that append's sync covers it too) but
 * not to subscriptions: `durableBelow()` caps what they may read, so a read model never
 * gets ahead of the log.
 *
 * A failed sync breaks the log for good. Linux may drop the pages whose write-back failed
 * and report the next fsync as a success, and SQLite's recovery stops at the first WAL frame
 * that did not reach the disk, so nothing committed after the failure could be trusted
 * either: every later commit is refused (the group committer stops writing: see `failure`),
 * and subscribers never see the refused events, until the process is restarted (recovery
 * then keeps exactly what reached the disk).
 */
import { closeSync, fdatasync, openSync } from 'node:fs';

interface Waiting {
  readonly firstPosition: bigint | undefined;
  readonly done: () => void;
  readonly failed: (error: unknown) => void;
}

/** fdatasync's shape; tests pass their own to decide when each sync returns. */
export type SyncFile = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void;

export interface DurableLogOptions {
  /** Syncs running at once; default 2 (one for each half of a split group commit). */
  readonly maxInFlight?: number;
  readonly sync?: SyncFile;
}

/** The commits one sync covers; `settled` once a sync (its own or a later one) answered them. */
interface Sync {
  readonly waiting: Waiting[];
  settled: boolean;
}

export class DurableLog {
  readonly #walFile: string;
  readonly #maxInFlight: number;
  /**
   * One descriptor per sync that may run at once, each opened once and kept. Linux reports a
   * write-back error once per open file (errseq): two syncs on ONE descriptor could see the
   * first to check take the error and the other return success for the same lost pages. On
   * descriptors of their own, every sync that checks after an error was recorded sees it, and
   * a sync waits for the write-back the other started, so each success can be trusted.
   */
  readonly #fds: (number | undefined)[] = [];
  /** Which descriptors a running sync holds. */
  readonly #busyFds = new Set<number>();
  #queued: Waiting[] = [];
  /** Syncs whose commits are not yet answered, in the order they started. */
  #unsettled: Sync[] = [];
  /** fdatasync calls running on the pool (a settled sync may still be running). */
  #running = 0;
  #idle: (() => void)[] = [];
  /** The first failed sync's error: set once, never cleared. */
  #failure: unknown = undefined;
  /** Lowest position of the refused commits: subscribers stay below it once the log is broken. */
  #hiddenFrom: bigint | null = null;

  readonly #sync: SyncFile;

  constructor(databaseFile: string, options: DurableLogOptions = {}) {
    this.#walFile = `${databaseFile}-wal`;
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.#sync = options.sync ?? fdatasync;
  }

  /** Calls `done` once everything committed so far is on disk; `failed` if the sync fails. */
  afterSync(firstPosition: bigint | undefined, done: () => void, failed: (error: unknown) => void): void {
    if (this.#failure !== undefined) {
      this.#hide(firstPosition);
      failed(this.#failure);
      return;
    }
    this.#queued.push({ firstPosition, done, failed });
    if (this.#running < this.#maxInFlight) this.#startSync();
  }

  /** The error of the sync that broke the log, or undefined while every sync has succeeded. */
  get failure(): unknown {
    return this.#failure;
  }

  /** True while a sync runs or commits wait for one. */
  get busy(): boolean {
    return this.#running > 0 || this.#queued.length > 0;
  }

  /**
   * Positions below this are durable (null: everything is). Events at or after it were
   * committed by this connection and are still waiting for their sync.
   */
  durableBelow(): bigint | null {
    // Once broken, nothing waits any more and nothing new is written (groupCommit.ts).
    if (this.#hiddenFrom !== null) return this.#hiddenFrom;
    // Commits wait in commit order: the first one that wrote anything holds the lowest position.
    for (const sync of this.#unsettled) for (const w of sync.waiting) if (w.firstPosition !== undefined) return w.firstPosition;
    for (const w of this.#queued) if (w.firstPosition !== undefined) return w.firstPosition;
    return null;
  }

  /** Resolves when no sync is running or waiting (close() waits for this). */
  async settled(): Promise<void> {
    if (!this.busy) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    for (const fd of this.#fds) if (fd !== undefined) closeSync(fd);
    this.#fds.length = 0;
  }

  #hide(position: bigint | undefined): void {
    if (position !== undefined && (this.#hiddenFrom === null || position < this.#hiddenFrom)) this.#hiddenFrom = position;
  }

  #startSync(): void {
    const sync: Sync = { waiting: this.#queued, settled: false };
    this.#queued = [];
    this.#unsettled.push(sync);
    this.#running += 1;
    let slot = 0;
    while (this.#busyFds.has(slot)) slot += 1;
    let fd: number;
    try {
      // Opened lazily: the -wal file exists once the first commit wrote it. r+ because
      // some platforms refuse fsync on a read-only descriptor.
      fd = this.#fds[slot] ??= openSync(this.#walFile, 'r+');
    } catch (error) {
      // No WAL file yet means nothing was ever committed through it: nothing to sync.
      this.#finish(sync, (error as { code?: unknown }).code === 'ENOENT' ? null : error);
      return;
    }
    this.#busyFds.add(slot);
    this.#sync(fd, (error) => {
      this.#busyFds.delete(slot);
      this.#finish(sync, error);
    });
  }

  #finish(sync: Sync, error: unknown): void {
    this.#running -= 1;
    if (error !== null && error !== undefined) {
      // Any failure breaks the log (even one whose commits a later success answered: the
      // disk lost pages). Commits after the failed ones sit behind them in the WAL, and
      // SQLite's recovery stops at the first frame that did not reach the disk, so every
      // commit not yet answered is refused, those of earlier syncs still running included.
      this.#failure ??= error;
      const refused = [...this.#unsettled.splice(0), { waiting: this.#queued.splice(0), settled: false }];
      for (const failedSync of refused) {
        failedSync.settled = true;
        for (const w of failedSync.waiting) this.#hide(w.firstPosition);
        for (const w of failedSync.waiting) w.failed(error);
      }
    } else if (!sync.settled) {
      // Everything written before this sync started is on disk now, including the commits
      // of earlier syncs still running: answer them all, oldest first.
      const at = this.#unsettled.indexOf(sync);
      for (const covered of this.#unsettled.splice(0, at + 1)) {
        covered.settled = true;
        for (const w of covered.waiting) w.done();
      }
    }
    if (this.#queued.length > 0 && this.#running < this.#maxInFlight && this.#failure === undefined) this.#startSync();
    else if (!this.busy) for (const resolve of this.#idle.splice(0)) resolve();
  }
}
