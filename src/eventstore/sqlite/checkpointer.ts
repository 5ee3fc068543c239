/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT
 * that crosses 1000 WAL pages, on whichever thread committed: with better-sqlite3 that is
 * the event loop, and a checkpoint copies pages into the database file and fsyncs it
 * (about half of COMMIT's time in the API bench, BENCHMARKS.md). Once a store has
 * committed enough to need checkpoints, this starts a worker thread with its own
 * connection that runs PASSIVE checkpoints (never blocking writers or readers) on a
 * timer, and the store's connection stops checkpointing by itself. When the WAL has grown
 * past `restartAfterFrames` it runs a RESTART checkpoint instead, which holds writers back
 * briefly and waits up to `restartWaitMs` for readers. If the worker fails, the connection
 * checkpoints by itself again.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** Plain CommonJS run with eval so it needs neither TypeScript nor a path on disk. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
const restartAfterFrames = workerData.restartAfterFrames;
const timer = setInterval(() => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    if (restartAfterFrames > 0 && result.busy === 0 && result.log >= restartAfterFrames) {
      // Under a steady stream of commits a PASSIVE checkpoint never catches up with the
      // last frame, so SQLite never starts the WAL over and the file grows without bound.
      // RESTART copies the few frames left and makes the next commit start from the top;
      // meanwhile the store's commits get SQLITE_BUSY and retry on a timer (groupCommit.ts).
      // A short busy timeout, so a long reader in another process stalls writers only briefly.
      db.pragma('busy_timeout = ' + workerData.restartWaitMs);
      try { db.pragma('wal_checkpoint(RESTART)'); } finally { db.pragma('busy_timeout = ' + workerData.busyTimeoutMs); }
    }
  } catch { /* busy now: the next tick tries again */ }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  db.close();
  parentPort.close();
});
`;

export interface CheckpointerOptions {
  readonly file: string;
  /** Commits after which the worker starts (small stores, e.g. in tests, never need it). */
  readonly startAfterCommits?: number;
  /**
   * Also start once the WAL file holds this many bytes, whatever the commit count: large
   * group commits reach SQLite's own checkpoint (1000 pages) within a few commits, and each
   * such checkpoint copies and fsyncs the database on the committing thread. Default: off.
   */
  readonly startAfterWalBytes?: number;
  readonly intervalMs?: number;
  readonly busyTimeoutMs?: number;
  /**
   * When a checkpoint finds at least this many frames in the WAL, the worker restarts the
   * WAL (a brief pause for writers, at most `restartWaitMs` waiting for readers plus the
   * copy of the last frames). Default 0: never, the WAL only restarts when SQLite finds
   * a checkpoint caught up by itself.
   */
  readonly restartAfterFrames?: number;
  readonly restartWaitMs?: number;
}

export class Checkpointer {
  readonly #db: Database.Database;
  readonly #options: Required<Omit<CheckpointerOptions, 'startAfterWalBytes'>> & Pick<CheckpointerOptions, 'startAfterWalBytes'>;
  #commits = 0;
  #worker: Worker | undefined;
  #exited: Promise<void> | undefined;

  constructor(db: Database.Database, options: CheckpointerOptions) {
    this.#db = db;
    this.#options = { startAfterCommits: 500, intervalMs: 50, busyTimeoutMs: 5000, restartAfterFrames: 0, restartWaitMs: 20, ...options };
  }

  /** Called after every commit of the store's connection. */
  committed(): void {
    this.#commits += 1;
    if (this.#commits > this.#options.startAfterCommits) return; // started (or tried) already
    if (this.#commits === this.#options.startAfterCommits || this.#walPastThreshold()) {
      this.#commits = this.#options.startAfterCommits + 1;
      this.#start();
    }
  }

  #walPastThreshold(): boolean {
    const limit = this.#options.startAfterWalBytes;
    if (limit === undefined) return false;
    try {
      return statSync(`${this.#options.file}-wal`).size >= limit;
    } catch {
      return false; // no WAL yet
    }
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker === undefined) return;
    // Unref'd while it runs (it must not keep a finished process alive), but close() waits
    // for it: without a ref an otherwise idle process would exit mid-close, skipping
    // whatever follows (the store's own close, a logger flush).
    worker.ref();
    worker.postMessage('close');
    await this.#exited;
  }

  #start(): void {
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { ...this.#options, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
        // Plain JS: no TypeScript loader needed (and a test runner's would not apply).
        execArgv: [],
      });
    } catch {
      return; // stays on SQLite's own checkpoints
    }
    worker.unref();
    this.#worker = worker;
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    this.#db.pragma('wal_autocheckpoint = 0');
    const fallBack = (): void => {
      if (this.#worker !== worker) return; // closed on purpose
      this.#worker = undefined;
      if (this.#db.open) this.#db.pragma('wal_autocheckpoint = 1000');
    };
    worker.once('error', fallBack);
    worker.once('exit', fallBack);
  }
}
