/**
 * How many deliveries run at once: DELIVERY_CONCURRENCY in all and ENDPOINT_CONCURRENCY per
 * endpoint, so one slow endpoint holding its slots cannot take the ones the others need.
 * Non-blocking: a refused acquire leaves the message due, and the scheduler tries another.
 */
export interface ConcurrencyLimiterOptions {
  global: number;
  perEndpoint: number;
}

export type AcquireResult = { ok: true } | { ok: false; limit: 'global' | 'endpoint' };

export interface ConcurrencyLimiter {
  tryAcquire(endpointId: string): AcquireResult;
  /** Gives back a slot taken by a successful tryAcquire; exactly once per acquire. */
  release(endpointId: string): void;
  inFlight(endpointId?: string): number;
  /** Resolves when nothing is in flight (graceful shutdown waits on it, with its own bound). */
  whenIdle(): Promise<void>;
  /** Called after every release, so a scheduler that was full can look for work again. */
  onRelease(listener: () => void): () => void;
}

export function createConcurrencyLimiter(options: ConcurrencyLimiterOptions): ConcurrencyLimiter {
  if (!(options.global >= 1) || !(options.perEndpoint >= 1)) throw new RangeError('concurrency limits must be at least 1');
  const byEndpoint = new Map<string, number>();
  let total = 0;
  let idleWaiters: (() => void)[] = [];
  const listeners = new Set<() => void>();

  return {
    tryAcquire(endpointId) {
      if (total >= options.global) return { ok: false, limit: 'global' };
      const current = byEndpoint.get(endpointId) ?? 0;
      if (current >= options.perEndpoint) return { ok: false, limit: 'endpoint' };
      byEndpoint.set(endpointId, current + 1);
      total += 1;
      return { ok: true };
    },
    release(endpointId) {
      const current = byEndpoint.get(endpointId) ?? 0;
      // A release without an acquire is a bug in the caller; failing loudly beats drifting counts.
      if (current === 0) throw new Error(`release without acquire for endpoint ${endpointId}`);
      if (current === 1) byEndpoint.delete(endpointId);
      else byEndpoint.set(endpointId, current - 1);
      total -= 1;
      if (total === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
      for (const listener of listeners) listener();
    },
    inFlight: (endpointId) => (endpointId === undefined ? total : (byEndpoint.get(endpointId) ?? 0)),
    whenIdle: () => (total === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    onRelease(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
