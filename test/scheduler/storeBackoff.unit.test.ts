import { describe, expect, it } from 'vitest';
import { createStoreBackoff } from '../../src/scheduler/storeBackoff.js';

describe('store backoff', () => {
  function setup() {
    let now = 0;
    const warnings: object[] = [];
    const infos: object[] = [];
    const logger = { debug() {}, info: (o: object) => void infos.push(o), warn: (o: object) => void warnings.push(o), error() {} };
    const backoff = createStoreBackoff(logger, 250, 5000, () => now);
    return { backoff, warnings, infos, advance: (ms: number) => (now += ms) };
  }

  it('doubles the wait from 250 ms up to 5 s, counting failures of one moment as one step', () => {
    const { backoff, advance } = setup();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      backoff.failed(new Error('down'));
      backoff.failed(new Error('down')); // a second attempt failing at the same moment
      waits.push(backoff.remainingMs());
      expect(backoff.waiting()).toBe(true);
      advance(backoff.remainingMs());
      expect(backoff.waiting()).toBe(false);
    }
    expect(waits).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('logs the outage once per interval, not once per failure, and says when the store is back', () => {
    const { backoff, warnings, infos, advance } = setup();
    for (let i = 0; i < 50; i++) {
      backoff.failed(new Error('down'));
      advance(100);
    }
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.length).toBeLessThanOrEqual(5);
    backoff.recovered();
    expect(backoff.waiting()).toBe(false);
    expect(infos).toHaveLength(1);
    backoff.recovered();
    expect(infos).toHaveLength(1);
  });
});
