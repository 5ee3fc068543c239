import type { RetryPolicy } from '../domain/retryPolicy.js';
import { StoreUnavailableError } from '../eventstore/errors.js';
import type { EventStore } from '../eventstore/port.js';
import type { DueMessage, DueRetryStore, DueSignal, ProjectionRunner } from '../projections/index.js';
import { giveBack, runAttempt, type AttemptContext, type AttemptResult, type Flight, type SchedulerLogger } from './attempt.js';
import { createConcurrencyLimiter } from './concurrency.js';
import type { Deliverer } from './deliver.js';
import { createEndpointCache } from './endpointCache.js';
import { createRateLimiter } from './rateLimit.js';
import { createStoreBackoff } from './storeBackoff.js';
import { newEventId } from '../commands/ids.js';

export type { SchedulerLogger } from './attempt.js';

/**
 * The delivery loop. Reads due messages from the due-retry read model every pollMs, and at once
 * when the projection signals that a message became due (queued, replayed, expedited, endpoint
 * resumed). Each due row becomes one attempt (see attempt.ts) within the global and per-endpoint
 * concurrency limits; the read model is only a hint, the aggregate decides.
 *
 * The read model lags the log a little: after this process appends a claim or an outcome, the
 * message's row is stale until the projection has applied that append, so the row is skipped
 * until runner.position() reaches it (no wasted reload of a message just delivered).
 */
export interface SchedulerOptions {
  readonly store: EventStore;
  readonly readModels: { readonly dueRetry: Pick<DueRetryStore, 'due'> };
  readonly runner: Pick<ProjectionRunner, 'onDue' | 'position'>;
  readonly deliverer: Pick<Deliverer, 'deliver'>;
  readonly policy: RetryPolicy;
  readonly clock?: () => Date;
  readonly logger: SchedulerLogger;
  /** Recorded as `scheduler:<instanceId>` on every event it appends. */
  readonly instanceId: string;
  /** SCHEDULER_POLL_MS */
  readonly pollMs: number;
  /** LEASE_MS */
  readonly leaseMs: number;
  /** DELIVERY_CONCURRENCY and ENDPOINT_CONCURRENCY. */
  readonly concurrency: { readonly global: number; readonly perEndpoint: number };
  /** SHUTDOWN_GRACE_MS: how long stop() lets in-flight attempts finish before giving them back. */
  readonly shutdownGraceMs: number;
  /** How long a cached endpoint is used before its stream revision is checked again. Default 1000. */
  readonly endpointTtlMs?: number;
  /** Most rows read per pass beyond those in flight. Default 2 × the global limit. */
  readonly batchSize?: number;
  readonly newId?: () => string;
}

export interface Scheduler {
  start(): void;
  /** Stops claiming, lets in-flight attempts finish up to shutdownGraceMs, gives back the rest. */
  stop(): Promise<void>;
  /** Look for due work now (tests with a fake clock; the projection's signal does this itself). */
  wake(): void;
  /** Attempts running in this process. */
  inFlight(): number;
}

/** The widest window one pass reads when the head of the queue is all skipped rows. */
const MAX_WINDOW = 4096;
/** How long freed slots wait to be filled together. */
const RELEASE_COALESCE_MS = 5;

export function createScheduler(options: SchedulerOptions): Scheduler {
  const clock = options.clock ?? (() => new Date());
  const { logger, pollMs } = options;
  const endpoints = createEndpointCache(options.store, options.endpointTtlMs ?? 1000);
  const rateLimiter = createRateLimiter({
    limitOf: (id) => {
      const state = endpoints.peek(id);
      return state ? { rps: state.rate_limit_rps, burst: state.burst } : undefined;
    },
  });
  const slots = createConcurrencyLimiter(options.concurrency);
  const batchSize = options.batchSize ?? options.concurrency.global * 2;
  const ctx: AttemptContext = {
    store: options.store,
    policy: options.policy,
    deliverer: options.deliverer,
    endpoints,
    rateLimiter,
    clock,
    logger,
    leaseMs: options.leaseMs,
    metadata: { actor: `scheduler:${options.instanceId}` },
    newId: options.newId ?? newEventId,
    stopping: () => stopping,
  };
  const storeBackoff = createStoreBackoff(logger);

  const flights = new Map<string, { flight: Flight; done: Promise<void> }>();
  /** Message id -> the log position after which its due-retry row is current again. */
  const settling = new Map<string, bigint>();
  /** Endpoint id -> clock time (ms) before which its rows are not tried (paused, rate limited). */
  const endpointHold = new Map<string, number>();
  /** Message id -> clock time before which it is not tried again (the aggregate said "not yet"). */
  const messageHold = new Map<string, number>();

  let running = false;
  let stopping = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let holdTimer: NodeJS.Timeout | undefined;
  let holdTimerAt = 0;
  let releaseTimer: NodeJS.Timeout | undefined;
  let passQueued = false;
  let starved = false;
  let unsubscribeDue: (() => void) | undefined;
  let unsubscribeRelease: (() => void) | undefined;

  const projected = (): bigint => {
    const position = options.runner.position();
    return position === 'start' ? -1n : position;
  };

  function wake(): void {
    if (!running || stopping || passQueued) return;
    passQueued = true;
    setImmediate(() => {
      passQueued = false;
      pass();
    });
  }

  /**
   * A freed slot: look again a few ms later, so the slots freed meanwhile are filled by one pass
   * (each pass reads the due query, whose cost grows with the rows it lists).
   */
  function wakeSoon(): void {
    if (!running || stopping || passQueued || releaseTimer !== undefined) return;
    releaseTimer = setTimeout(() => {
      releaseTimer = undefined;
      wake();
    }, RELEASE_COALESCE_MS);
    releaseTimer.unref();
  }

  function schedulePoll(): void {
    clearTimeout(pollTimer);
    if (!running || stopping) return;
    pollTimer = setTimeout(() => {
      pass();
      schedulePoll();
    }, pollMs);
    pollTimer.unref();
  }

  /** A held endpoint or message coming free before the next poll wakes the loop itself. */
  function armHoldTimer(untilMs: number): void {
    const delay = Math.max(1, untilMs - clock().getTime());
    if (delay >= pollMs) return;
    const at = Date.now() + delay;
    if (holdTimer !== undefined && holdTimerAt <= at) return; // an earlier wake-up is already set
    clearTimeout(holdTimer);
    holdTimerAt = at;
    holdTimer = setTimeout(() => {
      holdTimer = undefined;
      wake();
    }, delay);
    holdTimer.unref();
  }

  /** Why a listed row is not tried now: stale in the read model, or held back. */
  function held(row: DueMessage, nowMs: number, position: bigint): 'stale' | 'held' | null {
    const settledAt = settling.get(row.message_id);
    if (settledAt !== undefined) {
      if (position < settledAt) return 'stale';
      settling.delete(row.message_id);
    }
    const endpointUntil = endpointHold.get(row.endpoint_id);
    if (endpointUntil !== undefined) {
      if (nowMs < endpointUntil) return 'held';
      endpointHold.delete(row.endpoint_id);
    }
    const messageUntil = messageHold.get(row.message_id);
    if (messageUntil !== undefined) {
      if (nowMs < messageUntil) return 'held';
      messageHold.delete(row.message_id);
    }
    return null;
  }

  /**
   * One pass over the due rows: synchronous, it only starts attempts. Rows come earliest first;
   * when a window is all skipped rows (an endpoint at its own limit or held, with a long backlog
   * at the head of the queue) the pass reads a larger window, so one slow endpoint cannot keep
   * the others' messages out of reach.
   */
  function pass(): void {
    if (!running || stopping || storeBackoff.waiting()) return;
    // Every slot taken: the next release wakes the loop. Reading rows now would only skip them.
    const free = options.concurrency.global - slots.inFlight();
    if (free <= 0) {
      starved = true;
      return;
    }
    starved = false;
    const nowMs = clock().getTime();
    const position = projected();
    // Entries the projection has passed no longer matter: drop them, so the window below only
    // reads past rows that are really stale.
    for (const [id, at] of settling) if (at <= position) settling.delete(id);
    // Rows in flight or just finished may still be listed until the projection catches up, so
    // read past them. The query's cost grows with the window: keep it close to what can start.
    let unprojected = settling.size;
    for (const { flight } of flights.values()) if (flight.claim === undefined || flight.claim.position > position) unprojected += 1;
    let limit = Math.min(batchSize, free * 2 + 16) + unprojected;
    for (;;) {
      let rows: DueMessage[];
      try {
        rows = options.readModels.dueRetry.due(nowMs, limit);
      } catch (error) {
        logger.error({ err: error }, 'reading the due-retry read model failed; trying again at the next poll');
        return;
      }
      let globalFull = false;
      let endpointSkips = 0;
      for (const row of rows) {
        if (flights.has(row.message_id)) continue;
        const why = held(row, nowMs, position);
        if (why === 'stale') continue;
        if (why === 'held') {
          endpointSkips += 1;
          continue;
        }
        const slot = slots.tryAcquire(row.endpoint_id);
        if (!slot.ok) {
          starved = true;
          globalFull = slot.limit === 'global';
          if (globalFull) break;
          endpointSkips += 1;
          continue;
        }
        launch(row);
      }
      if (globalFull || endpointSkips === 0 || rows.length < limit || limit >= MAX_WINDOW) break;
      limit = Math.min(MAX_WINDOW, limit * 4);
    }
    if (messageHold.size > 10_000) for (const [id, until] of messageHold) if (until <= nowMs) messageHold.delete(id);
  }

  function launch(row: DueMessage): void {
    // The slot covers the claim and the POST; the outcome append overlaps the next attempts.
    // The message stays in `flights` (its row skipped) until the outcome is written.
    let holding = true;
    const releaseSlot = (): void => {
      if (!holding) return;
      holding = false;
      slots.release(row.endpoint_id);
    };
    const flight: Flight = { messageId: row.message_id, endpointId: row.endpoint_id, delivered: releaseSlot };
    const done = runAttempt(ctx, flight)
      .then((result) => {
        storeBackoff.recovered();
        settle(row, result);
      })
      .catch((error: unknown) => {
        if (error instanceof StoreUnavailableError) {
          storeBackoff.failed(error);
          armHoldTimer(clock().getTime() + storeBackoff.remainingMs());
        } else {
          logger.error({ err: error, message_id: row.message_id }, 'delivery attempt failed unexpectedly');
          messageHold.set(row.message_id, clock().getTime() + pollMs);
        }
      })
      .finally(() => {
        flights.delete(row.message_id);
        releaseSlot();
      });
    flights.set(row.message_id, { flight, done });
  }

  function settle(row: DueMessage, result: AttemptResult): void {
    switch (result.kind) {
      case 'written':
        settling.set(row.message_id, result.position);
        break;
      case 'deferred': {
        // Paused: the projection drops the row once it sees the pause; until then, and for a
        // rate limit, the endpoint's rows wait without using an attempt.
        const until = clock().getTime() + (result.reason === 'paused' ? pollMs : result.retryInMs);
        endpointHold.set(row.endpoint_id, until);
        armHoldTimer(until);
        logger.debug({ message_id: row.message_id, endpoint_id: row.endpoint_id, reason: result.reason }, 'delivery deferred');
        break;
      }
      case 'skipped':
        // Another scheduler has it, or the row is stale: look again after a poll, not in a loop.
        if (result.reason !== 'claim_lost') messageHold.set(row.message_id, clock().getTime() + pollMs);
        logger.debug({ message_id: row.message_id, reason: result.reason }, 'due message skipped');
        break;
      case 'outcome_lost':
        break;
      default: {
        const unreachable: never = result;
        return unreachable;
      }
    }
  }

  function onDue(signal: DueSignal): void {
    if (signal.reason === 'endpoint_resumed' && signal.endpoint_id !== null) {
      endpointHold.delete(signal.endpoint_id);
      endpoints.invalidate(signal.endpoint_id);
    }
    if (signal.message_id !== null) messageHold.delete(signal.message_id);
    wake();
  }

  return {
    start() {
      if (running) return;
      running = true;
      stopping = false;
      unsubscribeDue = options.runner.onDue(onDue);
      unsubscribeRelease = slots.onRelease(() => {
        if (starved) wakeSoon();
      });
      wake();
      schedulePoll();
      logger.info({ instance_id: options.instanceId, poll_ms: pollMs, concurrency: options.concurrency }, 'scheduler started');
    },
    async stop() {
      if (!running || stopping) return;
      stopping = true;
      clearTimeout(pollTimer);
      clearTimeout(holdTimer);
      holdTimer = undefined;
      clearTimeout(releaseTimer);
      releaseTimer = undefined;
      unsubscribeDue?.();
      unsubscribeRelease?.();
      const all = () => Promise.all([...flights.values()].map((f) => f.done));
      let graceTimer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace_over'>((resolve) => {
        graceTimer = setTimeout(() => resolve('grace_over'), options.shutdownGraceMs);
      });
      const finished = await Promise.race([all().then(() => 'finished' as const), graceOver]);
      clearTimeout(graceTimer);
      if (finished === 'grace_over') {
        const left = [...flights.values()].map((f) => f.flight);
        for (const flight of left) flight.released = true;
        let given = 0;
        for (const flight of left) {
          try {
            if (await giveBack(ctx, flight)) given += 1;
          } catch (error) {
            // Not recorded: the lease expires and another scheduler (or the restart) abandons it.
            logger.warn({ err: error, message_id: flight.messageId }, 'could not give an attempt back on shutdown; its lease will expire');
          }
        }
        logger.info({ in_flight: left.length, given_back: given }, 'scheduler stopped after the shutdown grace period');
      } else {
        logger.info({}, 'scheduler stopped');
      }
      running = false;
    },
    wake,
    inFlight: () => flights.size,
  };
}
