import { describe, expect, it } from 'vitest';
import { createConcurrencyLimiter } from '../../src/scheduler/concurrency.js';

describe('concurrency limits', () => {
  it('a slow endpoint fills its own slots, not the global ones', () => {
    const limiter = createConcurrencyLimiter({ global: 5, perEndpoint: 2 });
    expect(limiter.tryAcquire('slow')).toEqual({ ok: true });
    expect(limiter.tryAcquire('slow')).toEqual({ ok: true });
    expect(limiter.tryAcquire('slow')).toEqual({ ok: false, limit: 'endpoint' });
    expect(limiter.tryAcquire('fast')).toEqual({ ok: true });
    expect(limiter.inFlight()).toBe(3);
    expect(limiter.inFlight('slow')).toBe(2);
  });

  it('the global limit caps the sum over endpoints', () => {
    const limiter = createConcurrencyLimiter({ global: 3, perEndpoint: 2 });
    expect(['a', 'a', 'b'].map((id) => limiter.tryAcquire(id).ok)).toEqual([true, true, true]);
    expect(limiter.tryAcquire('c')).toEqual({ ok: false, limit: 'global' });
    limiter.release('a');
    expect(limiter.tryAcquire('c')).toEqual({ ok: true });
  });

  it('release frees a slot, tells listeners, and refuses a release without an acquire', () => {
    const limiter = createConcurrencyLimiter({ global: 2, perEndpoint: 1 });
    let released = 0;
    const stop = limiter.onRelease(() => (released += 1));
    limiter.tryAcquire('a');
    expect(limiter.tryAcquire('a').ok).toBe(false);
    limiter.release('a');
    expect(released).toBe(1);
    expect(limiter.tryAcquire('a').ok).toBe(true);
    stop();
    limiter.release('a');
    expect(released).toBe(1);
    expect(() => limiter.release('a')).toThrow(/release without acquire/);
    expect(limiter.inFlight()).toBe(0);
  });

  it('whenIdle resolves once the last delivery in flight is released', async () => {
    const limiter = createConcurrencyLimiter({ global: 4, perEndpoint: 4 });
    await limiter.whenIdle();
    limiter.tryAcquire('a');
    limiter.tryAcquire('b');
    let idle = false;
    const waiting = limiter.whenIdle().then(() => (idle = true));
    limiter.release('a');
    await Promise.resolve();
    expect(idle).toBe(false);
    limiter.release('b');
    await waiting;
    expect(idle).toBe(true);
  });
});
