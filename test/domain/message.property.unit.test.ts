import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { decodeEvent } from '../../src/domain/events.js';
import { decideMessage, evolveMessage, initialMessageState, type MessageCommand, type MessageEvent, type MessageState } from '../../src/domain/message/index.js';
import { parseRetryAfter, type RetryPolicy } from '../../src/domain/retryPolicy.js';
import { MID, T0, queued } from './support/messageFixtures.js';

/**
 * Random command sequences against the message decider, starting from a queued message.
 * Refused commands change nothing; accepted ones are folded. The invariants are checked
 * after every step, against a small independent model of the retry schedule.
 */
const policyArb: fc.Arbitrary<RetryPolicy> = fc.record({
  fast: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 4 }),
  slow: fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 4 }),
  maxAttempts: fc.integer({ min: 1, max: 6 }),
  retryAfterCapSeconds: fc.integer({ min: 0, max: 3600 }),
});

type Step =
  | { kind: 'start'; lease: number }
  | { kind: 'succeed'; stale: boolean }
  | { kind: 'fail'; stale: boolean; outcome: { status: number } | { error: 'timeout' | 'network' | 'blocked' }; retryAfter?: string }
  | { kind: 'abandon'; own: boolean }
  | { kind: 'retryNow' | 'cancel' | 'replay' | 'replayFromDlq' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('start' as const), lease: fc.integer({ min: 1, max: 120 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('succeed' as const), stale: fc.boolean() }) },
  {
    weight: 5,
    arbitrary: fc.record(
      {
        kind: fc.constant('fail' as const),
        stale: fc.boolean(),
        outcome: fc.oneof(
          fc.constantFrom(408, 429, 429, 429, 500, 503, 400, 404, 302).map((status) => ({ status })),
          fc.constantFrom('timeout' as const, 'network' as const, 'blocked' as const).map((error) => ({ error })),
        ),
        retryAfter: fc.oneof(fc.integer({ min: 0, max: 5000 }).map(String), fc.constant('garbage')),
      },
      { requiredKeys: ['kind', 'stale', 'outcome'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abandon' as const), own: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constantFrom('retryNow' as const, 'cancel' as const, 'replay' as const, 'replayFromDlq' as const).map((kind) => ({ kind })) },
);

const scenarioArb = fc.record({ policy: policyArb, steps: fc.array(fc.tuple(stepArb, fc.integer({ min: 0, max: 200_000 })), { maxLength: 40 }) });

const iso = (ms: number) => new Date(ms).toISOString();

function toCommand(step: Step, state: MessageState, nowMs: number, n: number): MessageCommand {
  const now = iso(nowMs);
  const attemptId = (stale: boolean) => (stale || !state.current_attempt ? `stale_${n}` : state.current_attempt.attempt_id);
  switch (step.kind) {
    case 'start':
      return { type: 'StartAttempt', attempt_id: `att_${n}`, lease_until: iso(nowMs + step.lease * 1000), now };
    case 'succeed':
      return { type: 'RecordAttemptSucceeded', attempt_id: attemptId(step.stale), response_status: 200, latency_ms: 1, now };
    case 'fail':
      return { type: 'RecordAttemptFailed', attempt_id: attemptId(step.stale), outcome: step.outcome, latency_ms: 1, now, ...(step.retryAfter === undefined ? {} : { retry_after: step.retryAfter }) };
    case 'abandon':
      return step.own ? { type: 'AbandonAttempt', attempt_id: attemptId(false), now } : { type: 'AbandonAttempt', now };
    case 'retryNow':
      return { type: 'RetryNow', now };
    case 'cancel':
      return { type: 'CancelRetry', now };
    case 'replay':
      return { type: 'ReplayMessage', now };
    case 'replayFromDlq':
      return { type: 'ReplayFromDlq', now };
    default: {
      const unreachable: never = step;
      return unreachable;
    }
  }
}

const terminal = (status: MessageState['status']) => status === 'succeeded' || status === 'failed_permanent';
const ends = new Set(['DeliveryAttemptSucceeded', 'DeliveryAttemptFailed', 'DeliveryAttemptAbandoned']);

/** Runs a scenario, checking every invariant at every step; returns the whole history. */
function run(policy: RetryPolicy, steps: readonly (readonly [Step, number])[]): MessageEvent[] {
  const history: MessageEvent[] = [queued];
  let state = evolveMessage(initialMessageState(), queued);
  let nowMs = Date.parse(T0);
  // The independent model of the schedule: counters kept from the events, per cycle.
  let consecutive429 = 0;
  let slowSoFar = 0;
  let startedInCycle = 0;
  const open = new Map<string, number>(); // attempt_id -> times ended
  const allStarted = new Set<string>();

  steps.forEach(([step, advance], n) => {
    nowMs += advance * 1000;
    const command = toCommand(step, state, nowMs, n);
    let events: MessageEvent[];
    try {
      events = decideMessage(command, state, policy);
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      return;
    }
    const before = state;
    let lastFailure: { status?: number; retryAfter?: number } | null = null;
    for (const [i, event] of events.entries()) {
      // Every event the decider emits passes its own schema.
      expect(decodeEvent({ type: event.type, data: event.data, stream: `message-${MID}`, revision: history.length + i })).toEqual(event);
      if (event.type === 'DeliveryAttemptStarted') {
        startedInCycle += 1;
        allStarted.add(event.data.attempt_id);
        open.set(event.data.attempt_id, 0);
      }
      if (ends.has(event.type) && 'attempt_id' in event.data) {
        const id = event.data.attempt_id;
        expect(allStarted.has(id)).toBe(true);
        open.set(id, (open.get(id) ?? 0) + 1);
      }
      if (event.type === 'DeliveryAttemptFailed') {
        lastFailure = { ...(event.data.response_status === undefined ? {} : { status: event.data.response_status }), ...(event.data.retry_after_seconds === undefined ? {} : { retryAfter: event.data.retry_after_seconds }) };
      }
      if (event.type === 'DeliveryAttemptAbandoned') lastFailure = {};
      if (event.type === 'RetryScheduled') {
        expect(lastFailure).not.toBeNull();
        const fast = lastFailure?.status === 429;
        const scheduled = fast ? policy.fast[Math.min(consecutive429, policy.fast.length - 1)] : policy.slow[Math.min(slowSoFar, policy.slow.length - 1)];
        const floor = Math.min(lastFailure?.retryAfter ?? 0, policy.retryAfterCapSeconds);
        const delay = Math.max(scheduled ?? NaN, floor);
        expect(event.data.retry_type).toBe(fast ? 'fast' : 'slow');
        expect(Date.parse(event.data.next_attempt_at) - Date.parse(event.data.scheduled_at)).toBe(delay * 1000);
        expect(startedInCycle).toBeLessThan(policy.maxAttempts);
        if (fast) consecutive429 += 1;
        else slowSoFar += 1;
      }
      if (event.type === 'DeliveryAttemptFailed' && event.data.response_status !== 429) consecutive429 = 0;
      if (event.type === 'DeliveryAttemptAbandoned' || event.type === 'DeliveryAttemptSucceeded') consecutive429 = 0;
      if (event.type === 'MessageReplayed') {
        consecutive429 = 0;
        slowSoFar = 0;
        startedInCycle = 0;
      }
      state = evolveMessage(state, event);
      history.push(event);
    }
    // Attempt count never exceeds the maximum, per delivery cycle.
    expect(startedInCycle).toBeLessThanOrEqual(policy.maxAttempts);
    expect(state.cycle_attempts).toBe(startedInCycle);
    // Every attempt ends at most once; only the current attempt is still open.
    const stillOpen = [...open.entries()].filter(([, count]) => count === 0).map(([id]) => id);
    expect([...open.values()].every((count) => count <= 1)).toBe(true);
    expect(stillOpen).toEqual(state.current_attempt ? [state.current_attempt.attempt_id] : []);
    expect(state.status === 'delivering').toBe(state.current_attempt !== null);
    // A terminal message leaves its state only by replay.
    if (terminal(before.status) && state.status !== before.status) expect(events.some((e) => e.type === 'MessageReplayed')).toBe(true);
    // Retry-now never adds an attempt.
    if (command.type === 'RetryNow') {
      expect(state.attempt_count).toBe(before.attempt_count);
      expect(events.every((e) => e.type === 'RetryExpedited')).toBe(true);
    }
  });
  return history;
}

describe('message decider properties', () => {
  it('keeps its invariants over random command sequences', () => {
    fc.assert(fc.property(scenarioArb, ({ policy, steps }) => void run(policy, steps)), { numRuns: 300 });
  });

  it('folding a history twice gives the same state', () => {
    fc.assert(
      fc.property(scenarioArb, ({ policy, steps }) => {
        const history = run(policy, steps);
        const once = history.reduce(evolveMessage, initialMessageState());
        const twice = history.reduce(evolveMessage, initialMessageState());
        expect(twice).toEqual(once);
        // Folding a JSON round-trip of the log (what the store gives back) changes nothing either.
        const fromStore = (JSON.parse(JSON.stringify(history)) as MessageEvent[]).reduce(evolveMessage, initialMessageState());
        expect(fromStore).toEqual(once);
      }),
      { numRuns: 200 },
    );
  });

  it('every started attempt ends exactly once when the sequence is driven to rest', () => {
    fc.assert(
      fc.property(scenarioArb, ({ policy, steps }) => {
        const history = run(policy, steps);
        const state = history.reduce(evolveMessage, initialMessageState());
        if (state.current_attempt) {
          const { attempt_id, lease_until } = state.current_attempt;
          history.push(...decideMessage({ type: 'AbandonAttempt', attempt_id, now: lease_until }, state, policy));
        }
        const startedIds = history.flatMap((e) => (e.type === 'DeliveryAttemptStarted' ? [e.data.attempt_id] : []));
        const endedIds = history.flatMap((e) => (ends.has(e.type) && 'attempt_id' in e.data ? [e.data.attempt_id] : []));
        expect([...endedIds].sort()).toEqual([...startedIds].sort());
      }),
      { numRuns: 200 },
    );
  });

  it('reads Retry-After the way the events record it', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 ** 9 }), (s) => parseRetryAfter(String(s), T0) === s));
  });
});
