import type { DestinationStream } from 'pino';

/** What the batch writes through: pino.destination()'s SonicBoom, or anything shaped like it. */
export interface LineSink {
  write(chunk: string): unknown;
  flush(callback: (error?: Error | null) => void): void;
  flushSync(): void;
}

export interface BatchOptions {
  /** Longest a line waits before it is handed on. */
  readonly maxDelayMs?: number;
  /** Hand the batch on at once when it reaches this many UTF-16 units. */
  readonly maxChars?: number;
}

export interface BatchedDestination extends DestinationStream {
  flush(callback: (error?: Error | null) => void): void;
  flushSync(): void;
}

/**
 * Log lines gathered for a few milliseconds and handed to the sink as one write. Under
 * load the service logs an access line per request, and the asynchronous sink started
 * one thread-pool write per line (dispatch and completion 4-5% of a retry-now's CPU,
 * BENCHMARKS.md); one write per batch costs the same as one per line. A line waits at
 * most maxDelayMs; flush() and process exit hand on what is waiting first, so stop()
 * (which flushes last) and an exit lose nothing that a synchronous log would have kept.
 */
export function batchedDestination(sink: LineSink, options: BatchOptions = {}): BatchedDestination {
  const maxDelayMs = options.maxDelayMs ?? 10;
  const maxChars = options.maxChars ?? 16 * 1024;
  let pending: string[] = [];
  let chars = 0;
  let timer: NodeJS.Timeout | undefined;
  const handOn = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const batch = pending.join('');
    pending = [];
    chars = 0;
    sink.write(batch);
  };
  const destination: BatchedDestination = {
    write(line: string): void {
      pending.push(line);
      chars += line.length;
      if (chars >= maxChars) handOn();
      else if (timer === undefined) {
        timer = setTimeout(handOn, maxDelayMs);
        timer.unref(); // an idle process may exit; the exit hook writes what waits
      }
    },
    flush(callback): void {
      handOn();
      sink.flush(callback);
    },
    flushSync(): void {
      handOn();
      sink.flushSync();
    },
  };
  onExit(destination);
  return destination;
}

/**
 * One exit hook for every batch, holding them weakly (tests build many loggers). pino's
 * own exit hook flushes the sink before this runs, so each batch flushes it again.
 */
const live = new Set<WeakRef<BatchedDestination>>();
let hooked = false;
function onExit(destination: BatchedDestination): void {
  for (const ref of live) if (ref.deref() === undefined) live.delete(ref);
  live.add(new WeakRef(destination));
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const ref of live) {
      try {
        ref.deref()?.flushSync();
      } catch {
        // nowhere left to report it
      }
    }
  });
}
