/**
 * "The log may have grown": a counter bumped after each commit, and waiters that
 * resume when it moves past the value they saw. A subscription reads the counter
 * BEFORE it reads the log, so a commit landing between its read and its wait still
 * wakes it: no lost wake-up at the catch-up/live boundary.
 */
export class ChangeSignal {
  #version = 0;
  readonly #waiters = new Set<() => void>();

  get version(): number {
    return this.#version;
  }

  /** Number of subscriptions currently waiting (an adapter polls another process only while > 0). */
  get waiting(): number {
    return this.#waiters.size;
  }

  bump(): void {
    this.#version += 1;
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves once the version differs from `seen`; rejects with the signal's reason if aborted. */
  wait(seen: number, signal: AbortSignal): Promise<void> {
    if (this.#version !== seen) return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.#waiters.delete(done);
        signal.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = (): void => {
        this.#waiters.delete(done);
        reject(signal.reason as Error);
      };
      this.#waiters.add(done);
      signal.addEventListener('abort', aborted, { once: true });
    });
  }
}
