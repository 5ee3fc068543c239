/**
 * The production event store: the port on EventStoreDB through @eventstore/db-client 6.2.1.
 *
 * - Appends are validated by the shared rules first, then sent with each event's own id
 *   (so a retried append at a specific revision is answered "already written"), with the
 *   expected revision mapped both ways (see revisions.ts).
 * - Positions are commit positions (see revisions.ts for why that is exact).
 * - readAll pages through $all and filters on the client: 6.2.1 cannot filter a read on
 *   the server. `$` streams and `$` event types never come out of readAll or subscriptions.
 * - Every call is bounded by `timeoutMs`: reads and batch appends have no gRPC deadline
 *   in this client, and a hung node must turn into StoreUnavailableError, not a hang.
 * - Transient failures are retried a few times within that bound, because right after a
 *   node restart or a leader change the client's first call on a stale channel fails
 *   even though the cluster is fine. Reads always; appends only when a resend cannot
 *   duplicate: the call never reached the leader, or the expected revision is exact
 *   (ids then make the resend idempotent). Otherwise the caller gets StoreUnavailableError.
 */
import { BACKWARDS, END, EventStoreDBClient, FORWARDS, jsonEvent, START } from '@eventstore/db-client';
import type { AllStreamResolvedEvent, JSONType, ResolvedEvent, StreamingRead } from '@eventstore/db-client';
import { StoreUnavailableError } from '../errors.js';
import type {
  AppendOptions, AppendResult, EventStore, EventToAppend, ReadAllOptions, ReadStreamOptions, RecordedEvent,
  SubscribeOptions, Subscription,
} from '../port.js';
import { validateAppend } from '../validateAppend.js';
import { isStreamNotFound, isUnavailable, neverReachedLeader, toPortError } from './errors.js';
import { isWanted, toRecordedEvent } from './recordedEvent.js';
import { fromClientPosition, toClientPosition, toClientRevision } from './revisions.js';
import { startEsdbSubscription } from './subscription.js';
import type { DroppableSubscription } from './subscription.js';

export interface EsdbEventStoreOptions {
  /** e.g. `esdb://localhost:2113?tls=false`, `esdb+discover://host:2113`, `esdb://h1:2113,h2:2113,h3:2113` */
  readonly connectionString: string;
  /** Longest any call (retries included) may take before it fails as StoreUnavailableError. Default 10 s. */
  readonly timeoutMs?: number;
  /** Events per onEvents call. Default 500. */
  readonly subscriptionBatchSize?: number;
  /** Resubscription backoff: first delay, doubling up to max. Default 50 ms to 5 s. */
  readonly resubscribeBackoffMs?: { readonly first?: number; readonly max?: number };
  /** Events per $all page for readAll and headPosition. Default 500 (at least 2). */
  readonly readPageSize?: number;
}

/** Pauses between attempts of a call that failed transiently. */
const RETRY_DELAYS_MS = [50, 150, 400] as const;

export interface EsdbEventStore extends EventStore {
  /**
   * Ends every live subscription's current connection as a drop would (onDropped is
   * called) and lets each resubscribe: for tests against a server they cannot restart.
   */
  dropSubscriptions(): void;
}

export function createEsdbEventStore(options: EsdbEventStoreOptions): EsdbEventStore {
  const client = EventStoreDBClient.connectionString(options.connectionString);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pageSize = Math.max(2, options.readPageSize ?? 500);
  const tuning = {
    batchSize: options.subscriptionBatchSize ?? 500,
    firstBackoffMs: options.resubscribeBackoffMs?.first ?? 50,
    maxBackoffMs: options.resubscribeBackoffMs?.max ?? 5_000,
  };
  const subscriptions = new Map<Subscription, DroppableSubscription>();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new StoreUnavailableError('The EventStoreDB event store is closed');
  };

  /** Reads a whole client stream, within the time limit; a read cut short is cancelled on the wire. */
  const collect = async <T>(readable: StreamingRead<T>, what: string, deadline: number): Promise<T[]> => {
    const items: T[] = [];
    const timer = setTimeout(() => {
      void readable.cancel().catch(() => undefined);
      readable.destroy(new StoreUnavailableError(`EventStoreDB did not answer ${what} within ${timeoutMs} ms`));
    }, Math.max(0, deadline - Date.now()));
    try {
      for await (const item of readable) items.push(item);
      return items;
    } finally {
      clearTimeout(timer);
    }
  };

  /** Reads one page of $all; `after` is exclusive (the server's read position is inclusive). */
  const readAllPage = async (after: bigint | 'start', direction: 'forwards' | 'backwards', deadline: number): Promise<{ events: NonNullable<AllStreamResolvedEvent['event']>[]; full: boolean }> => {
    const readable = client.readAll({
      direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
      fromPosition: after === 'start' ? (direction === 'forwards' ? START : END) : toClientPosition(after),
      maxCount: pageSize,
    });
    const page = await collect(readable, 'a read of $all', deadline);
    const events = page.flatMap((resolved) => (resolved.event ? [resolved.event] : []));
    const beyond = (position: bigint): boolean => after === 'start' || (direction === 'forwards' ? position > after : position < after);
    return { events: events.filter((e) => beyond(fromClientPosition(e.position))), full: page.length >= pageSize };
  };

  /**
   * Runs a call, retrying transient failures that `mayResend` allows while the time limit
   * leaves room, and maps what finally fails to the port's errors.
   */
  const guarded = async <T>(
    work: (deadline: number) => Promise<T>,
    context: Parameters<typeof toPortError>[1] = {},
    mayResend: (error: unknown) => boolean = isUnavailable,
  ): Promise<T> => {
    assertOpen();
    const giveUpAt = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await work(giveUpAt);
      } catch (error) {
        const pause = RETRY_DELAYS_MS[attempt];
        if (pause === undefined || closed || Date.now() + pause >= giveUpAt || !mayResend(error)) throw toPortError(error, context);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  };

  const withTimeout = <T>(promise: Promise<T>, what: string, deadline: number): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`EventStoreDB did not answer ${what} within ${timeoutMs} ms`)), Math.max(0, deadline - Date.now()));
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  };

  const lastEventOf = async (stream: string, deadline: number): Promise<RecordedEvent | undefined> => {
    const [last] = await collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }), `a read of ${stream}`, deadline);
    return last?.event ? toRecordedEvent(last.event) : undefined;
  };

  return {
    async append(stream: string, events: readonly EventToAppend[], appendOptions?: AppendOptions): Promise<AppendResult> {
      assertOpen();
      const prepared = validateAppend(stream, events);
      const expected = appendOptions?.expectedRevision ?? 'any';
      const proposed = prepared.map((event, i) =>
        jsonEvent({ id: event.id, type: event.type, data: events[i]?.data as JSONType, metadata: events[i]?.metadata ?? {} }),
      );
      return guarded(async (deadline) => {
        const result = await withTimeout(client.appendToStream(stream, proposed, { expectedRevision: toClientRevision(expected) }), `an append to ${stream}`, deadline);
        if (result.position) return { nextExpectedRevision: result.nextExpectedRevision, position: fromClientPosition(result.position) };
        // A server that answers without a position: the last event's position says the same.
        const last = await lastEventOf(stream, deadline);
        if (!last) throw new Error(`EventStoreDB acknowledged an append to ${stream} but the stream reads empty`);
        return { nextExpectedRevision: result.nextExpectedRevision, position: last.position };
      }, { stream, expected }, (error) => isUnavailable(error) && (neverReachedLeader(error) || typeof expected === 'bigint' || expected === 'no_stream'));
    },

    async readStream(stream: string, readOptions: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
      const direction = readOptions.direction ?? 'forwards';
      const from = readOptions.fromRevision ?? (direction === 'forwards' ? 'start' : 'end');
      if (readOptions.maxCount !== undefined && readOptions.maxCount <= 0) return [];
      return guarded(async (deadline) => {
        let resolved: ResolvedEvent[];
        try {
          resolved = await collect(
            client.readStream(stream, {
              direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
              fromRevision: from === 'start' ? START : from === 'end' ? END : from,
              ...(readOptions.maxCount === undefined ? {} : { maxCount: readOptions.maxCount }),
            }),
            `a read of ${stream}`,
            deadline,
          );
        } catch (error) {
          if (isStreamNotFound(error)) return [];
          throw error;
        }
        return resolved.flatMap((r) => (r.event ? [toRecordedEvent(r.event)] : []));
      }, { stream });
    },

    async readAll(readOptions: ReadAllOptions = {}): Promise<RecordedEvent[]> {
      const maxCount = readOptions.maxCount ?? 1000;
      if (maxCount <= 0) return [];
      return guarded(async (deadline) => {
        const found: RecordedEvent[] = [];
        let after = readOptions.fromPosition ?? 'start';
        for (;;) {
          const page = await readAllPage(after, 'forwards', deadline);
          for (const event of page.events) {
            if (!isWanted(event, readOptions.prefixes)) continue;
            found.push(toRecordedEvent(event));
            if (found.length >= maxCount) return found;
          }
          const last = page.events[page.events.length - 1];
          if (!page.full || !last) return found;
          after = fromClientPosition(last.position);
        }
      });
    },

    subscribeToAll(subscribeOptions: SubscribeOptions): Subscription {
      assertOpen();
      const subscription = startEsdbSubscription(client, subscribeOptions, tuning);
      const tracked: Subscription = {
        async stop() {
          subscriptions.delete(tracked);
          await subscription.stop();
        },
      };
      subscriptions.set(tracked, subscription);
      return tracked;
    },

    dropSubscriptions(): void {
      for (const subscription of subscriptions.values()) subscription.drop(new Error('Subscription dropped on request'));
    },

    async headPosition(): Promise<bigint | 'start'> {
      return guarded(async (deadline) => {
        // The newest records are often the server's own (stats every few seconds): skip them.
        let before: bigint | 'start' = 'start';
        for (;;) {
          const page = await readAllPage(before, 'backwards', deadline);
          const newest = page.events.find((event) => isWanted(event, undefined));
          if (newest) return fromClientPosition(newest.position);
          const oldest = page.events[page.events.length - 1];
          if (!page.full || !oldest) return 'start';
          before = fromClientPosition(oldest.position);
        }
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions.keys()].map((s) => s.stop()));
      await client.dispose();
    },
  };
}
