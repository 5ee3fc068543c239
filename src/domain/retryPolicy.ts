import { z } from 'zod';
import type { DeliveryError, RetryType } from './message/events.js';

/**
 * The retry policy, as data: the config layer parses the environment and passes the
 * policy in; the domain never reads config. Delays are whole seconds.
 *
 * How the two schedules interleave (the reference is silent; this is our rule):
 * - the Nth CONSECUTIVE 429 of a delivery cycle waits fast[N-1] (clamped to the last entry);
 *   any other failure ends the run of 429s;
 * - every other retryable failure (408, 5xx, timeout, network, an abandoned lease) waits
 *   slow[k], where k counts the slow retries already scheduled in this cycle (clamped);
 * - whatever the mix, a cycle makes at most maxAttempts attempts; the failure of the last
 *   one sends the message to the DLQ. A replay starts a new cycle.
 * - a receiver's Retry-After is a MINIMUM: the delay is max(schedule, min(Retry-After, cap)).
 */
const delays = z.array(z.number().int().positive()).min(1);

export const retryPolicySchema = z.object({
  fast: delays,
  slow: delays,
  maxAttempts: z.number().int().min(1),
  retryAfterCapSeconds: z.number().int().nonnegative(),
});
export type RetryPolicy = z.infer<typeof retryPolicySchema>;

/** The reference's schedule: 429 → 30 s … 300 s; others → 30 m … 96 h; 8 attempts. */
export const defaultRetryPolicy: RetryPolicy = {
  fast: [30, 60, 120, 240, 300],
  slow: [1800, 7200, 21600, 43200, 86400, 172800, 259200, 345600],
  maxAttempts: 8,
  retryAfterCapSeconds: 86400,
};

/** Validates a policy built from config; throws a ZodError naming the bad field. */
export const parseRetryPolicy = (input: unknown): RetryPolicy => retryPolicySchema.parse(input);

/** What one attempt produced: an HTTP status, or no answer at all. */
export type AttemptOutcome = { readonly status: number } | { readonly error: DeliveryError };
export type OutcomeClass = 'success' | 'retryable' | 'final';

/**
 * 2xx: success. 408, 429, 5xx, timeouts and network/DNS/TLS errors: retryable.
 * Every other status (3xx — redirects are not followed — and other 4xx) is final at once.
 * `blocked` (the SSRF guard refused the address) is final: retrying cannot change a policy refusal.
 */
export function classifyOutcome(outcome: AttemptOutcome): OutcomeClass {
  if ('error' in outcome) {
    switch (outcome.error) {
      case 'timeout':
      case 'network':
      case 'dns':
      case 'tls':
        return 'retryable';
      case 'blocked':
        return 'final';
      default: {
        const unreachable: never = outcome.error;
        return unreachable;
      }
    }
  }
  const { status } = outcome;
  if (status >= 200 && status <= 299) return 'success';
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) return 'retryable';
  return 'final';
}

/**
 * Parses a Retry-After header value, relative to `now` (an ISO string from the command,
 * so Date.parse here reads no clock): delta-seconds or an HTTP-date. Returns whole
 * seconds (a date in the past gives 0), or undefined when the value is unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: string): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    const seconds = Number(trimmed);
    return Number.isSafeInteger(seconds) ? seconds : undefined;
  }
  const at = Date.parse(trimmed);
  const from = Date.parse(now);
  if (Number.isNaN(at) || Number.isNaN(from) || !/[a-z]/i.test(trimmed)) return undefined;
  return Math.max(0, Math.ceil((at - from) / 1000));
}

/** Where a delivery cycle stands when an attempt has just failed retryably. */
export interface RetryProgress {
  /** Attempts started in this cycle, the failed one included. */
  readonly attemptsInCycle: number;
  /** 429s in a row just before this failure (this failure not included). */
  readonly consecutiveFast: number;
  /** Slow retries already scheduled in this cycle. */
  readonly slowRetries: number;
}

export type RetryDecision =
  | { readonly kind: 'retry'; readonly next_attempt_at: string; readonly retry_type: RetryType; readonly retry_after_seconds: number }
  | { readonly kind: 'exhausted' };

const at = <T>(list: readonly T[], index: number): T => list[Math.min(index, list.length - 1)] as T;

/**
 * When the next attempt is due after a retryable failure, or `exhausted` when the cycle
 * has used all its attempts. `rateLimited`: the receiver answered 429 (fast schedule).
 * `retryAfterSeconds`: the receiver's Retry-After already parsed (see parseRetryAfter).
 */
export function nextRetry(
  policy: RetryPolicy,
  progress: RetryProgress,
  rateLimited: boolean,
  retryAfterSeconds: number | undefined,
  now: string,
): RetryDecision {
  if (progress.attemptsInCycle >= policy.maxAttempts) return { kind: 'exhausted' };
  const retry_type: RetryType = rateLimited ? 'fast' : 'slow';
  const scheduled = rateLimited ? at(policy.fast, progress.consecutiveFast) : at(policy.slow, progress.slowRetries);
  const minimum = retryAfterSeconds === undefined ? 0 : Math.min(retryAfterSeconds, policy.retryAfterCapSeconds);
  const retry_after_seconds = Math.max(scheduled, minimum);
  const next_attempt_at = new Date(Date.parse(now) + retry_after_seconds * 1000).toISOString();
  return { kind: 'retry', next_attempt_at, retry_type, retry_after_seconds };
}
