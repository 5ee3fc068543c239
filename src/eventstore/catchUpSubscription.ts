/**
 * The catch-up-then-live loop shared by the adapters that own their log (memory,
 * SQLite). It always reads "after the last position it delivered", both while
 * catching up and when live, so the boundary between the two has no gap and no
 * duplicate by construction.
 *
 * Drops: a failed read, a handler that throws, or the adapter's drop hook ends the
 * current attempt; onDropped gets the error, and after a backoff (50 ms doubling to
 * 5 s, reset by a successful batch) the loop resubscribes from the last position
 * whose batch the handler completed. So a batch whose handler threw is delivered again.
 */
import type { ChangeSignal } from './changeSignal.js';
import type { RecordedEvent, SubscribeOptions, Subscription } from './port.js';

export interface LogWindow {
  /** Events after the position that pass the filter (never `$` streams), in log order. */
  readonly events: RecordedEvent[];
  /** Last log position examined (filtered-out events included); the next read starts after it. */
  readonly scannedTo: bigint | 'start';
  /** True when the read reached the end of the log. */
  readonly atEnd: boolean;
}

export interface LogSource {
  readAfter(after: bigint | 'start', max: number, prefixes: readonly string[] | undefined): Promise<LogWindow>;
  readonly changes: ChangeSignal;
}

export interface DroppableSubscription extends Subscription {
  /** Ends the current attempt as if the source had dropped; the loop resubscribes. */
  drop(reason: Error): void;
}

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 5_000;

export function startCatchUpSubscription(source: LogSource, options: SubscribeOptions, batchSize: number): DroppableSubscription {
  const stopping = new AbortController();
  let attempt = new AbortController();

  const runOnce = async (from: bigint | 'start', delivered: (position: bigint | 'start') => void): Promise<void> => {
    let position = from;
    let caughtUp = false;
    for (;;) {
      const seen = source.changes.version;
      const window = await source.readAfter(position, batchSize, options.prefixes);
      attempt.signal.throwIfAborted();
      if (window.events.length > 0) await options.onEvents(window.events);
      position = window.scannedTo;
      delivered(position);
      if (stopping.signal.aborted) return;
      attempt.signal.throwIfAborted();
      if (window.atEnd) {
        if (!caughtUp) {
          caughtUp = true;
          options.onCaughtUp?.(position);
        }
        await source.changes.wait(seen, attempt.signal);
      }
    }
  };

  const run = async (): Promise<void> => {
    let position = options.fromPosition ?? 'start';
    let failures = 0;
    while (!stopping.signal.aborted) {
      attempt = new AbortController();
      try {
        await runOnce(position, (p) => {
          position = p;
          failures = 0;
        });
        return;
      } catch (error) {
        if (stopping.signal.aborted) return;
        options.onDropped?.(error);
        failures += 1;
        await sleep(Math.min(FIRST_BACKOFF_MS * 2 ** (failures - 1), MAX_BACKOFF_MS), stopping.signal);
      }
    }
  };

  const done = run();
  return {
    drop(reason) {
      attempt.abort(reason);
    },
    /** Do not await stop() from inside onEvents: it waits for that very call. */
    async stop() {
      stopping.abort(new Error('subscription stopped'));
      attempt.abort(new Error('subscription stopped'));
      await done;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', wake);
      resolve();
    }, ms);
    const wake = (): void => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', wake, { once: true });
  });
}

/**
 * Starts a catch-up subscription that `live` tracks while it runs (so the store can drop
 * or stop every live subscription), and forgets it once stopped.
 */
export function startTrackedSubscription(source: LogSource, options: SubscribeOptions, batchSize: number, live: Set<DroppableSubscription>): Subscription {
  const subscription = startCatchUpSubscription(source, options, batchSize);
  live.add(subscription);
  return {
    stop: async () => {
      live.delete(subscription);
      await subscription.stop();
    },
  };
}

/** Stream filter every adapter applies: system streams never pass; then the prefixes, if any. */
export function passesFilter(stream: string, prefixes: readonly string[] | undefined): boolean {
  if (stream.startsWith('$')) return false;
  return prefixes === undefined || prefixes.length === 0 || prefixes.some((p) => stream.startsWith(p));
}
