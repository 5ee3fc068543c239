import { describe, expect, it } from 'vitest';
import { classifyOutcome, defaultRetryPolicy, nextRetry, parseRetryAfter, parseRetryPolicy } from '../../src/domain/retryPolicy.js';

const NOW = '2026-01-01T00:00:00.000Z';
const plus = (s: number) => new Date(Date.parse(NOW) + s * 1000).toISOString();

describe('classifyOutcome', () => {
  it.each([200, 201, 204, 299])('%i is success', (status) => expect(classifyOutcome({ status })).toBe('success'));
  it.each([408, 429, 500, 502, 503, 599])('%i is retryable', (status) => expect(classifyOutcome({ status })).toBe('retryable'));
  it.each([300, 301, 302, 400, 401, 403, 404, 409, 410, 422])('%i is final', (status) => expect(classifyOutcome({ status })).toBe('final'));
  it('timeouts and connection errors are retryable; an SSRF refusal is final', () => {
    expect(classifyOutcome({ error: 'timeout' })).toBe('retryable');
    expect(classifyOutcome({ error: 'network' })).toBe('retryable');
    expect(classifyOutcome({ error: 'dns' })).toBe('retryable');
    expect(classifyOutcome({ error: 'tls' })).toBe('retryable');
    expect(classifyOutcome({ error: 'blocked' })).toBe('final');
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => expect(parseRetryAfter(' 120 ', NOW)).toBe(120));
  it('reads an HTTP-date relative to the command time', () => expect(parseRetryAfter('Thu, 01 Jan 2026 00:02:00 GMT', NOW)).toBe(120));
  it('a date in the past means no wait', () => expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', NOW)).toBe(0));
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter('-5', NOW)).toBeUndefined();
    expect(parseRetryAfter('1.5', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });
});

describe('nextRetry', () => {
  const p = defaultRetryPolicy;
  const progress = (attemptsInCycle: number, consecutiveFast = 0, slowRetries = 0) => ({ attemptsInCycle, consecutiveFast, slowRetries });
  it('follows the slow schedule for other failures', () => {
    expect(nextRetry(p, progress(1), false, undefined, NOW)).toEqual({ kind: 'retry', next_attempt_at: plus(1800), retry_type: 'slow', retry_after_seconds: 1800 });
    expect(nextRetry(p, progress(3, 0, 2), false, undefined, NOW)).toMatchObject({ retry_after_seconds: 21600 });
  });
  it('follows the fast schedule for consecutive 429s, clamped to its last entry', () => {
    expect(nextRetry(p, progress(1), true, undefined, NOW)).toMatchObject({ retry_type: 'fast', retry_after_seconds: 30 });
    expect(nextRetry(p, progress(4, 3), true, undefined, NOW)).toMatchObject({ retry_after_seconds: 240 });
    expect(nextRetry({ ...p, maxAttempts: 20 }, progress(9, 8), true, undefined, NOW)).toMatchObject({ retry_after_seconds: 300 });
  });
  it('uses Retry-After as a minimum, capped', () => {
    expect(nextRetry(p, progress(1), true, 90, NOW)).toMatchObject({ retry_after_seconds: 90, next_attempt_at: plus(90) });
    expect(nextRetry(p, progress(1), true, 10, NOW)).toMatchObject({ retry_after_seconds: 30 });
    expect(nextRetry({ ...p, retryAfterCapSeconds: 600 }, progress(1), true, 10_000, NOW)).toMatchObject({ retry_after_seconds: 600 });
  });
  it('is exhausted after maxAttempts attempts, whatever the mix', () => {
    expect(nextRetry(p, progress(8, 3, 4), false, undefined, NOW)).toEqual({ kind: 'exhausted' });
    expect(nextRetry(p, progress(7, 3, 3), true, undefined, NOW).kind).toBe('retry');
  });
});

describe('parseRetryPolicy', () => {
  it('accepts the reference policy', () => expect(parseRetryPolicy(defaultRetryPolicy)).toEqual(defaultRetryPolicy));
  it('refuses empty schedules, non-positive delays and zero attempts', () => {
    expect(() => parseRetryPolicy({ ...defaultRetryPolicy, fast: [] })).toThrow();
    expect(() => parseRetryPolicy({ ...defaultRetryPolicy, slow: [0] })).toThrow();
    expect(() => parseRetryPolicy({ ...defaultRetryPolicy, maxAttempts: 0 })).toThrow();
    expect(() => parseRetryPolicy({ ...defaultRetryPolicy, retryAfterCapSeconds: -1 })).toThrow();
  });
});
