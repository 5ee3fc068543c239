import type { SchedulerLogger } from './attempt.js';

/**
 * While the event store is unreachable the scheduler pauses its passes with growing backoff
 * (250 ms doubling to 5 s) instead of hammering it, logs the outage once per backoff interval
 * rather than once per message, and resumes on its own at the first success.
 */
export interface StoreBackoff {
  /** True while passes should wait. */
  waiting(): boolean;
  remainingMs(): number;
  failed(error: unknown): void;
  recovered(): void;
}

export function createStoreBackoff(logger: SchedulerLogger, minMs = 250, maxMs = 5000, now: () => number = Date.now): StoreBackoff {
  let delayMs = 0;
  let until = 0;
  let lastLogMs = -Infinity;
  let failures = 0;

  return {
    waiting: () => now() < until,
    remainingMs: () => Math.max(0, until - now()),
    failed(error) {
      failures += 1;
      const t = now();
      // Attempts already running fail together: one outage, one step of backoff.
      if (t < until) return;
      delayMs = delayMs === 0 ? minMs : Math.min(maxMs, delayMs * 2);
      until = t + delayMs;
      if (t - lastLogMs >= delayMs) {
        lastLogMs = t;
        logger.warn({ err: error, retry_in_ms: delayMs, failures }, 'event store unavailable; the scheduler backs off');
      }
    },
    recovered() {
      if (delayMs === 0) return;
      logger.info({ failures }, 'event store available again; the scheduler resumes');
      delayMs = 0;
      until = 0;
      failures = 0;
    },
  };
}
