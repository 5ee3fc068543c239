import { performance } from 'node:perf_hooks';
import { loadAggregate } from '../commands/handle.js';
import { decodeEndpointEvent, endpointDecider, type EndpointState } from '../domain/endpoint/index.js';
import { endpointStream } from '../domain/streams.js';
import type { EventStore } from '../eventstore/port.js';

/**
 * The endpoint aggregates the scheduler delivers to (url, headers, secrets, paused, rate limit),
 * folded from the log rather than read from the projection, so a rotated key or a pause is seen
 * as soon as it is written. Cached per endpoint: within the TTL an entry is used as is; after it,
 * one backwards read of the stream's last event says whether anything changed, and only then is
 * the stream folded again. A pause or key change therefore reaches the scheduler within one TTL.
 */
export interface EndpointCache {
  get(endpointId: string): Promise<EndpointState>;
  /** The cached state without I/O (the rate limiter reads limits from it). */
  peek(endpointId: string): EndpointState | undefined;
  /** Forget one endpoint (e.g. the projection said it was resumed). */
  invalidate(endpointId: string): void;
}

interface Entry {
  state: EndpointState;
  revision: bigint | 'no_stream';
  checkedMs: number;
}

/** `now`: a monotonic clock for freshness only (not the domain clock, which tests may freeze). */
export function createEndpointCache(store: EventStore, ttlMs: number, now: () => number = () => performance.now(), maxEntries = 10_000): EndpointCache {
  const entries = new Map<string, Entry>();
  // Concurrent misses for one endpoint share one load.
  const loading = new Map<string, Promise<EndpointState>>();

  async function load(endpointId: string, nowMs: number, known: Entry | undefined): Promise<EndpointState> {
    const stream = endpointStream(endpointId);
    if (known) {
      const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      if ((last?.revision ?? 'no_stream') === known.revision) {
        known.checkedMs = nowMs;
        return known.state;
      }
    }
    const loaded = await loadAggregate(store, stream, endpointDecider, decodeEndpointEvent);
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
    entries.set(endpointId, { state: loaded.state, revision: loaded.revision, checkedMs: nowMs });
    return loaded.state;
  }

  return {
    get(endpointId) {
      const nowMs = now();
      const known = entries.get(endpointId);
      if (known && nowMs - known.checkedMs < ttlMs && nowMs >= known.checkedMs) return Promise.resolve(known.state);
      const pending = loading.get(endpointId);
      if (pending) return pending;
      const promise = load(endpointId, nowMs, known).finally(() => loading.delete(endpointId));
      loading.set(endpointId, promise);
      return promise;
    },
    peek: (endpointId) => entries.get(endpointId)?.state,
    invalidate: (endpointId) => {
      entries.delete(endpointId);
    },
  };
}
