import { randomUUID } from 'node:crypto';
import { aggregateCacheOf } from '../commands/aggregateCache.js';
import { loadAggregate, toEventsToAppend, type CommandMetadata } from '../commands/handle.js';
import { DomainError } from '../domain/errors.js';
import type { EndpointState } from '../domain/endpoint/state.js';
import { decodeMessageEvent, messageDecider, type MessageCommand, type MessageEvent, type MessageState } from '../domain/message/index.js';
import type { RetryPolicy } from '../domain/retryPolicy.js';
import { messageStream } from '../domain/streams.js';
import { StoreUnavailableError, WrongExpectedVersionError } from '../eventstore/errors.js';
import type { EventStore } from '../eventstore/port.js';
import type { Deliverer } from './deliver.js';
import type { EndpointCache } from './endpointCache.js';
import { outcomeCommand } from './outcomeCommand.js';
import type { RateLimiter } from './rateLimit.js';

/**
 * One due message, start to finish: load the aggregate, check the endpoint (paused, rate limit),
 * claim by appending DeliveryAttemptStarted at the revision read, POST, then append the outcome and
 * what follows from it at the claim's revision, in one append. Every append names its expected
 * revision, so of two schedulers only one claims, and an outcome can never land on an attempt that
 * was abandoned meanwhile.
 */
export interface SchedulerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AttemptContext {
  readonly store: EventStore;
  readonly policy: RetryPolicy;
  readonly deliverer: Pick<Deliverer, 'deliver'>;
  readonly endpoints: EndpointCache;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => Date;
  readonly logger: SchedulerLogger;
  readonly leaseMs: number;
  readonly metadata: CommandMetadata;
  readonly newId: () => string;
  /** True once shutdown began: no new claim is made, and a claim that lands then is given back. */
  readonly stopping: () => boolean;
}

/** A claimed attempt, as shutdown needs it to give the attempt back. */
export interface Claim {
  readonly messageId: string;
  readonly attemptId: string;
  readonly attemptNo: number;
  readonly state: MessageState;
  readonly revision: bigint;
  /** Log position of the claim: until the projection passes it, the message's row looks due. */
  readonly position: bigint;
  readonly leaseUntilMs: number;
}

/** Shared between the running attempt and the scheduler (which may abandon it on shutdown). */
export interface Flight {
  readonly messageId: string;
  readonly endpointId: string;
  claim?: Claim;
  /** Set once shutdown gave the attempt back: the late outcome must not be retried. */
  released?: boolean;
  /**
   * Called once the receiver has answered (or the POST failed): the endpoint is no longer being
   * used, so its concurrency slot can go to the next message while the outcome is written.
   */
  readonly delivered?: () => void;
}

export type AttemptResult =
  | { readonly kind: 'deferred'; readonly reason: 'paused' | 'rate_limited'; readonly retryInMs: number }
  /** Nothing written: another scheduler claimed it, or the aggregate says it is not due (stale row). */
  | { readonly kind: 'skipped'; readonly reason: string }
  /** Events were appended (an abandonment, an outcome): the row is stale until the projection reaches `position`. */
  | { readonly kind: 'written'; readonly position: bigint }
  /** The outcome could not be written (the attempt was given back, or the store stayed down past the lease). */
  | { readonly kind: 'outcome_lost'; readonly position: bigint };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Appends at the revision the attempt decided on, and keeps the message's new fold in the
 * commands' aggregate cache (handle.ts): a retry-now or cancel after a failure this process
 * recorded then decides without reading the stream (and without a guess that conflicts).
 */
async function append(ctx: AttemptContext, messageId: string, events: readonly MessageEvent[], expected: bigint | 'no_stream', before: MessageState) {
  const stream = messageStream(messageId);
  const cache = aggregateCacheOf(ctx.store);
  const { evolve } = messageDecider(ctx.policy); // the commands' own fold: the cache keys entries by it
  try {
    const written = await ctx.store.append(stream, toEventsToAppend(events, { ...ctx.metadata, correlation_id: messageId }, ctx.newId), {
      expectedRevision: expected,
    });
    cache.set(stream, evolve, written.nextExpectedRevision, events.reduce(evolve, before));
    return written;
  } catch (error) {
    cache.delete(stream); // a timed-out append may still have committed
    throw error;
  }
}

/** Decides a command; a DomainError (not due, already delivered...) becomes null. */
function decide(ctx: AttemptContext, command: MessageCommand, state: MessageState): MessageEvent[] | DomainError {
  try {
    return messageDecider(ctx.policy).decide(command, state);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}

function endpointProblem(endpoint: EndpointState): string | null {
  if (!endpoint.exists) return 'the endpoint does not exist';
  if (endpoint.deleted) return 'the endpoint was deleted';
  return null;
}

export async function runAttempt(ctx: AttemptContext, flight: Flight): Promise<AttemptResult> {
  const { messageId } = flight;
  const decider = messageDecider(ctx.policy);
  const loaded = await loadAggregate(ctx.store, messageStream(messageId), decider, decodeMessageEvent);
  const now = ctx.clock();
  const nowIso = now.toISOString();
  const startCommand = (attemptId: string): MessageCommand => ({
    type: 'StartAttempt',
    attempt_id: attemptId,
    now: nowIso,
    lease_until: new Date(now.getTime() + ctx.leaseMs).toISOString(),
  });

  let endpoint: EndpointState | undefined;
  // An expired lease is recorded whatever the endpoint's state: it uses no delivery.
  if (loaded.state.status !== 'delivering') {
    endpoint = await ctx.endpoints.get(loaded.state.endpoint_id || flight.endpointId);
    if (endpoint.exists && !endpoint.deleted) {
      if (endpoint.paused) return { kind: 'deferred', reason: 'paused', retryInMs: 0 };
      const take = ctx.rateLimiter.tryTake(endpoint.endpoint_id, now.getTime());
      if (!take.ok) return { kind: 'deferred', reason: 'rate_limited', retryInMs: take.retryInMs };
    }
  }

  if (ctx.stopping()) return { kind: 'skipped', reason: 'stopping' };
  const attemptId = randomUUID();
  const started = decide(ctx, startCommand(attemptId), loaded.state);
  if (started instanceof DomainError) return { kind: 'skipped', reason: started.code };
  let claimed;
  try {
    claimed = await append(ctx, messageId, started, loaded.revision, loaded.state);
  } catch (error) {
    if (error instanceof WrongExpectedVersionError) return { kind: 'skipped', reason: 'claim_lost' };
    throw error;
  }
  const start = started.find((e) => e.type === 'DeliveryAttemptStarted');
  if (start?.type !== 'DeliveryAttemptStarted') {
    // The lease of a vanished worker expired: the decider recorded the abandonment and what follows.
    logOutcome(ctx, messageId, started, { abandoned: true });
    return { kind: 'written', position: claimed.position };
  }
  const state = started.reduce(decider.evolve, loaded.state);
  const claim: Claim = {
    messageId,
    attemptId,
    attemptNo: start.data.attempt_no,
    state,
    revision: claimed.nextExpectedRevision,
    position: claimed.position,
    leaseUntilMs: Date.parse(start.data.lease_until),
  };
  flight.claim = claim;
  if (flight.released || ctx.stopping()) {
    // Shutdown began while the claim was being written: give it back rather than start a POST.
    await giveBack(ctx, flight);
    return { kind: 'outcome_lost', position: -1n };
  }

  const problem = endpoint ? endpointProblem(endpoint) : 'the endpoint is unknown';
  const queued = state.queued;
  const sentAt = ctx.clock();
  const outcome =
    problem !== null || endpoint === undefined || queued === null
      ? ({ kind: 'error', reason: 'invalid_url', message: problem ?? 'the message has no payload', latencyMs: 0 } as const)
      : await ctx.deliverer.deliver({
          url: endpoint.url,
          body: queued.payload,
          endpointHeaders: endpoint.headers,
          messageHeaders: queued.headers,
          secrets: endpoint.signing_keys.map((k) => k.secret),
          messageId,
          attemptNo: claim.attemptNo,
          now: sentAt,
        });

  flight.delivered?.();
  const recordedAt = ctx.clock().toISOString();
  const events = decide(ctx, outcomeCommand(outcome, attemptId, recordedAt), state);
  if (events instanceof DomainError) throw events; // our own attempt is current: a refusal here is a bug
  return recordOutcome(ctx, flight, claim, events, outcome.latencyMs, outcome.kind === 'response' ? outcome.status : outcome.reason);
}

/**
 * Appends the outcome at the claim's revision. A store outage is waited out with backoff while
 * the lease lasts (after it another scheduler may abandon the attempt, and the delivery will be
 * retried: receivers deduplicate on X-Webhook-Id).
 */
async function recordOutcome(
  ctx: AttemptContext,
  flight: Flight,
  claim: Claim,
  events: readonly MessageEvent[],
  latencyMs: number,
  result: number | string,
): Promise<AttemptResult> {
  for (let waitMs = 100; ; waitMs = Math.min(waitMs * 2, 2000)) {
    try {
      const written = await append(ctx, claim.messageId, events, claim.revision, claim.state);
      logOutcome(ctx, claim.messageId, events, { attempt_no: claim.attemptNo, result, latency_ms: Math.round(latencyMs) });
      return { kind: 'written', position: written.position };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        // Given back on shutdown, or abandoned by another scheduler after the lease ran out.
        ctx.logger.warn({ message_id: claim.messageId, attempt_no: claim.attemptNo, result }, 'attempt outcome not recorded: the attempt was abandoned meanwhile');
        return { kind: 'outcome_lost', position: -1n };
      }
      const leaseLeft = claim.leaseUntilMs - ctx.clock().getTime();
      if (!(error instanceof StoreUnavailableError) || flight.released || leaseLeft <= waitMs) throw error;
      await sleep(waitMs);
      if (flight.released) return { kind: 'outcome_lost', position: -1n };
    }
  }
}

/** One info line per outcome: ids, status or error, latency, what follows. Never payloads or secrets. */
function logOutcome(ctx: AttemptContext, messageId: string, events: readonly MessageEvent[], fields: Record<string, unknown>): void {
  const line: Record<string, unknown> = { message_id: messageId, ...fields };
  let what = 'delivery attempt';
  for (const event of events) {
    switch (event.type) {
      case 'DeliveryAttemptSucceeded':
        what = 'delivery succeeded';
        break;
      case 'DeliveryAttemptFailed':
        what = 'delivery failed';
        if (event.data.error_text !== undefined) line['error'] = event.data.error_text;
        break;
      case 'DeliveryAttemptAbandoned':
        what = 'attempt abandoned';
        line['attempt_no'] = event.data.attempt_no;
        break;
      case 'RetryScheduled':
        line['next_attempt_at'] = event.data.next_attempt_at;
        line['retry_type'] = event.data.retry_type;
        break;
      case 'MessageFailedPermanently':
        line['failed_permanent'] = event.data.reason;
        break;
      default:
        break;
    }
  }
  ctx.logger.info(line, what);
}

/**
 * Shutdown: gives a still-running attempt back (AbandonAttempt with its id), so it is retried
 * per the policy instead of waiting out its lease. Returns false when the outcome got there first.
 */
export async function giveBack(ctx: AttemptContext, flight: Flight): Promise<boolean> {
  const claim = flight.claim;
  if (!claim) return false;
  flight.released = true;
  const events = decide(ctx, { type: 'AbandonAttempt', attempt_id: claim.attemptId, now: ctx.clock().toISOString() }, claim.state);
  if (events instanceof DomainError) return false;
  try {
    await append(ctx, claim.messageId, events, claim.revision, claim.state);
  } catch (error) {
    if (error instanceof WrongExpectedVersionError) return false;
    throw error;
  }
  logOutcome(ctx, claim.messageId, events, { attempt_no: claim.attemptNo, reason: 'shutdown' });
  return true;
}
