/**
 * Per-endpoint rate limits (`rate_limit_rps`, `burst`): a token bucket per endpoint. A refusal
 * tells the scheduler how long to DEFER the delivery; it does not use an attempt (spec §8).
 * Time is passed in (epoch ms) so the limiter runs under a fake clock in tests.
 */
export interface RateLimit {
  /** Sustained deliveries per second; 0 (or less) means no limit. */
  rps: number;
  /** Bucket size; unset or 0 means the same as rps (the reference's default), at least 1. */
  burst?: number;
}

export type TakeResult = { ok: true } | { ok: false; retryInMs: number };

export interface RateLimiter {
  tryTake(endpointId: string, nowMs: number): TakeResult;
  /** Buckets held in memory (full, idle buckets are dropped as they are equivalent to none). */
  size(): number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
  rps: number;
  capacity: number;
}

export interface RateLimiterOptions {
  /** The endpoint's current limit, read on every take so an edit applies at once. */
  limitOf(endpointId: string): RateLimit | undefined;
  /** Sweep full buckets every this many takes. */
  sweepEvery?: number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const buckets = new Map<string, Bucket>();
  const sweepEvery = options.sweepEvery ?? 1000;
  let takes = 0;

  function refill(bucket: Bucket, nowMs: number): void {
    // A clock that steps back refills nothing rather than draining the bucket.
    const elapsedMs = Math.max(0, nowMs - bucket.updatedMs);
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + (elapsedMs * bucket.rps) / 1000);
    bucket.updatedMs = Math.max(bucket.updatedMs, nowMs);
  }

  function sweep(nowMs: number): void {
    for (const [id, bucket] of buckets) {
      refill(bucket, nowMs);
      if (bucket.tokens >= bucket.capacity) buckets.delete(id);
    }
  }

  return {
    tryTake(endpointId, nowMs) {
      if (++takes % sweepEvery === 0) sweep(nowMs);
      const limit = options.limitOf(endpointId);
      if (!limit || !(limit.rps > 0)) {
        buckets.delete(endpointId);
        return { ok: true };
      }
      const capacity = Math.max(1, limit.burst && limit.burst > 0 ? limit.burst : limit.rps);
      let bucket = buckets.get(endpointId);
      if (!bucket) {
        bucket = { tokens: capacity, updatedMs: nowMs, rps: limit.rps, capacity };
        buckets.set(endpointId, bucket);
      } else {
        refill(bucket, nowMs);
        if (bucket.rps !== limit.rps || bucket.capacity !== capacity) {
          // The endpoint was edited: keep what is left, within the new size.
          bucket.rps = limit.rps;
          bucket.capacity = capacity;
          bucket.tokens = Math.min(bucket.tokens, capacity);
        }
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryInMs: Math.max(1, Math.ceil(((1 - bucket.tokens) * 1000) / bucket.rps)) };
    },
    size: () => buckets.size,
  };
}
