import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/scheduler/rateLimit.js';
import type { RateLimit } from '../../src/scheduler/rateLimit.js';

function limiterWith(limits: Record<string, RateLimit>) {
  return createRateLimiter({ limitOf: (id) => limits[id] });
}

describe('per-endpoint rate limit', () => {
  it('lets a burst through at once, then defers with the wait until the next token', () => {
    const limiter = limiterWith({ ep: { rps: 2, burst: 3 } });
    const t0 = 1_000_000;
    expect([1, 2, 3].map(() => limiter.tryTake('ep', t0).ok)).toEqual([true, true, true]);
    expect(limiter.tryTake('ep', t0)).toEqual({ ok: false, retryInMs: 500 });
    expect(limiter.tryTake('ep', t0 + 200)).toEqual({ ok: false, retryInMs: 300 });
    expect(limiter.tryTake('ep', t0 + 500)).toEqual({ ok: true });
    expect(limiter.tryTake('ep', t0 + 500).ok).toBe(false);
  });

  it('sustains rps over time and never exceeds it', () => {
    const limiter = limiterWith({ ep: { rps: 10 } });
    let allowed = 0;
    for (let ms = 0; ms < 10_000; ms += 10) if (limiter.tryTake('ep', ms).ok) allowed += 1;
    // 10 s at 10/s, plus the initial bucket of 10 (burst defaults to rps).
    expect(allowed).toBe(10 + 99);
  });

  it('burst defaults to rps, and 0 rps means no limit', () => {
    const limiter = limiterWith({ ep: { rps: 2 }, zeroBurst: { rps: 2, burst: 0 }, free: { rps: 0, burst: 5 } });
    expect([1, 2, 3].map(() => limiter.tryTake('ep', 0).ok)).toEqual([true, true, false]);
    expect([1, 2, 3].map(() => limiter.tryTake('zeroBurst', 0).ok)).toEqual([true, true, false]);
    expect(Array.from({ length: 1000 }, () => limiter.tryTake('free', 0).ok).every(Boolean)).toBe(true);
    expect(limiter.tryTake('unknown', 0).ok).toBe(true);
  });

  it('keeps endpoints apart', () => {
    const limiter = limiterWith({ a: { rps: 1 }, b: { rps: 1 } });
    expect(limiter.tryTake('a', 0).ok).toBe(true);
    expect(limiter.tryTake('a', 0).ok).toBe(false);
    expect(limiter.tryTake('b', 0).ok).toBe(true);
  });

  it('applies an edited limit at once', () => {
    const limits: Record<string, RateLimit> = { ep: { rps: 1 } };
    const limiter = limiterWith(limits);
    expect(limiter.tryTake('ep', 0).ok).toBe(true);
    expect(limiter.tryTake('ep', 0)).toEqual({ ok: false, retryInMs: 1000 });
    limits.ep = { rps: 100 };
    // The wait shrinks from a second to what 100/s needs; the bucket is not refilled by the edit.
    expect(limiter.tryTake('ep', 10)).toEqual({ ok: false, retryInMs: 10 });
    expect(limiter.tryTake('ep', 20)).toEqual({ ok: true });
  });

  it('a clock stepping back neither grants nor loses tokens', () => {
    const limiter = limiterWith({ ep: { rps: 1 } });
    expect(limiter.tryTake('ep', 5000).ok).toBe(true);
    expect(limiter.tryTake('ep', 1000).ok).toBe(false);
    expect(limiter.tryTake('ep', 6000).ok).toBe(true);
  });

  it('forgets buckets that have refilled, so memory follows active endpoints', () => {
    const limiter = createRateLimiter({ limitOf: () => ({ rps: 1 }), sweepEvery: 10 });
    for (let i = 0; i < 9; i++) limiter.tryTake(`ep${i}`, 0);
    expect(limiter.size()).toBe(9);
    limiter.tryTake('late', 60_000); // the 10th take sweeps
    expect(limiter.size()).toBe(1);
  });
});
