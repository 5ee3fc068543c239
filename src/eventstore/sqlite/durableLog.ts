/**
 * Durability without blocking the event loop. Under synchronous=FULL SQLite fsyncs the
 * WAL inside COMMIT, on the main thread: with better-sqlite3 that froze the whole process
 * for every group commit (20% of a retry-now's time in the API bench, BENCHMARKS.md).
 * Instead the connection runs synchronous=NORMAL (COMMIT only write()s the WAL; SQLite
 * still syncs it before every checkpoint) and this class fdatasyncs the WAL file on the
 * libuv thread pool after each commit; appends are acknowledged only once the sync that
 * covers them has returned. fsync flushes the file (inode), whichever descriptor asks,
 * so an acknowledged append survives power loss exactly as under FULL.
 *
 * One sync runs at a time; commits made while it runs wait for the next one, which then
 * covers all of them (group commit of the fsync itself). Until its sync returns, a
 * committed event is visible to this process's own stream reads (a command deciding on it
 * appends after it, and that append's sync covers it too) but not to subscriptions:
 * `durableBelow()` caps what they may read, so a read model never gets ahead of the log.
 */
import { closeSync, fdatasync, openSync } from 'node:fs';

interface Waiting {
  readonly firstPosition: bigint | undefined;
  readonly done: () => void;
  readonly failed: (error: unknown) => void;
}

export class DurableLog {
  readonly #walFile: string;
  #fd: number | undefined;
  #queued: Waiting[] = [];
  #inSync: Waiting[] = [];
  #idle: (() => void)[] = [];

  constructor(databaseFile: string) {
    this.#walFile = `${databaseFile}-wal`;
  }

  /** Calls `done` once everything committed so far is on disk; `failed` if the sync fails. */
  afterSync(firstPosition: bigint | undefined, done: () => void, failed: (error: unknown) => void): void {
    this.#queued.push({ firstPosition, done, failed });
    if (this.#inSync.length === 0) this.#startSync();
  }

  /**
   * Positions below this are durable (null: everything is). Events at or after it were
   * committed by this connection and are still waiting for their sync.
   */
  durableBelow(): bigint | null {
    let lowest: bigint | null = null;
    for (const list of [this.#inSync, this.#queued]) {
      for (const w of list) if (w.firstPosition !== undefined && (lowest === null || w.firstPosition < lowest)) lowest = w.firstPosition;
    }
    return lowest;
  }

  /** Resolves when no sync is running or waiting (close() waits for this). */
  async settled(): Promise<void> {
    if (this.#inSync.length === 0 && this.#queued.length === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #startSync(): void {
    this.#inSync = this.#queued;
    this.#queued = [];
    let fd: number;
    try {
      // Opened lazily: the -wal file exists once the first commit wrote it. r+ because
      // some platforms refuse fsync on a read-only descriptor.
      fd = this.#fd ??= openSync(this.#walFile, 'r+');
    } catch (error) {
      // No WAL file yet means nothing was ever committed through it: nothing to sync.
      this.#finish((error as { code?: unknown }).code === 'ENOENT' ? null : error);
      return;
    }
    fdatasync(fd, (error) => this.#finish(error));
  }

  #finish(error: unknown): void {
    const synced = this.#inSync;
    this.#inSync = [];
    for (const w of synced) {
      if (error === null || error === undefined) w.done();
      else w.failed(error);
    }
    if (this.#queued.length > 0) this.#startSync();
    else for (const resolve of this.#idle.splice(0)) resolve();
  }
}
