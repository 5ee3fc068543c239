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
 */
import { BACKWARDS, END, EventStoreDBClient, FORWARDS, jsonEvent, START } from '@eventstore/db-client';
import type { AllStreamResolvedEvent, JSONType, ResolvedEvent, StreamingRead } from '@eventstore/db-client';
import { StoreUnavailableError } from '../errors.js';
import type {
  AppendOptions, AppendResult, EventStore, EventToAppend, ReadAllOptions, ReadStreamOptions, RecordedEvent,
  SubscribeOptions, Subscription,
} from '../port.js';
import { validateAppend } from '../validateAppend.js';
import { isStreamNotFound, toPortError } from './errors.js';
import { isWanted, toRecordedEvent } from './recordedEvent.js';
import { fromClientPosition, toClientPosition, toClientRevision } from './revisions.js';
import { startEsdbSubscription } from './subscription.js';

export interface EsdbEventStoreOptions {
  /** e.g. `esdb://localhost:2113?tls=false`, `esdb+discover://host:2113`, `esdb://h1:2113,h2:2113,h3:2113` */
  readonly connectionString: string;
  /** Longest any single call may take before it fails as StoreUnavailableError. Default 10 s. */
  readonly timeoutMs?: number;
  /** Events per onEvents call. Default 500. */
  readonly subscriptionBatchSize?: number;
  /** Resubscription backoff: first delay, doubling up to max. Default 50 ms to 5 s. */
  readonly resubscribeBackoffMs?: { readonly first?: number; readonly max?: number };
  /** Events per $all page for readAll and headPosition. Default 500 (at least 2). */
  readonly readPageSize?: number;
}

export function createEsdbEventStore(options: EsdbEventStoreOptions): EventStore {
  const client = EventStoreDBClient.connectionString(options.connectionString);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pageSize = Math.max(2, options.readPageSize ?? 500);
  const tuning = {
    batchSize: options.subscriptionBatchSize ?? 500,
    firstBackoffMs: options.resubscribeBackoffMs?.first ?? 50,
    maxBackoffMs: options.resubscribeBackoffMs?.max ?? 5_000,
  };
  const subscriptions = new Set<Subscription>();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new StoreUnavailableError('The EventStoreDB event store is closed');
  };

  /** Reads a whole client stream, within the time limit; a read cut short is cancelled on the wire. */
  const collect = async <T>(readable: StreamingRead<T>, what: string): Promise<T[]> => {
    const items: T[] = [];
    const timer = setTimeout(() => {
      void readable.cancel().catch(() => undefined);
      readable.destroy(new StoreUnavailableError(`EventStoreDB did not answer ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      for await (const item of readable) items.push(item);
      return items;
    } finally {
      clearTimeout(timer);
    }
  };

  /** Reads one page of $all; `after` is exclusive (the server's read position is inclusive). */
  const readAllPage = async (after: bigint | 'start', direction: 'forwards' | 'backwards'): Promise<{ events: NonNullable<AllStreamResolvedEvent['event']>[]; full: boolean }> => {
    const readable = client.readAll({
      direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
      fromPosition: after === 'start' ? (direction === 'forwards' ? START : END) : toClientPosition(after),
      maxCount: pageSize,
    });
    const page = await collect(readable, 'a read of $all');
    const events = page.flatMap((resolved) => (resolved.event ? [resolved.event] : []));
    const beyond = (position: bigint): boolean => after === 'start' || (direction === 'forwards' ? position > after : position < after);
    return { events: events.filter((e) => beyond(fromClientPosition(e.position))), full: page.length >= pageSize };
  };

  const guarded = async <T>(work: () => Promise<T>, context: Parameters<typeof toPortError>[1] = {}): Promise<T> => {
    assertOpen();
    try {
      return await work();
    } catch (error) {
      throw toPortError(error, context);
    }
  };

  const withTimeout = <T>(promise: Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`EventStoreDB did not answer ${what} within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  };

  const lastEventOf = async (stream: string): Promise<RecordedEvent | undefined> => {
    const [last] = await collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }), `a read of ${stream}`);
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
      return guarded(async () => {
        const result = await withTimeout(client.appendToStream(stream, proposed, { expectedRevision: toClientRevision(expected) }), `an append to ${stream}`);
        if (result.position) return { nextExpectedRevision: result.nextExpectedRevision, position: fromClientPosition(result.position) };
        // A server that answers without a position: the last event's position says the same.
        const last = await lastEventOf(stream);
        if (!last) throw new Error(`EventStoreDB acknowledged an append to ${stream} but the stream reads empty`);
        return { nextExpectedRevision: result.nextExpectedRevision, position: last.position };
      }, { stream, expected });
    },

    async readStream(stream: string, readOptions: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
      const direction = readOptions.direction ?? 'forwards';
      const from = readOptions.fromRevision ?? (direction === 'forwards' ? 'start' : 'end');
      if (readOptions.maxCount !== undefined && readOptions.maxCount <= 0) return [];
      return guarded(async () => {
        let resolved: ResolvedEvent[];
        try {
          resolved = await collect(
            client.readStream(stream, {
              direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
              fromRevision: from === 'start' ? START : from === 'end' ? END : from,
              ...(readOptions.maxCount === undefined ? {} : { maxCount: readOptions.maxCount }),
            }),
            `a read of ${stream}`,
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
      return guarded(async () => {
        const found: RecordedEvent[] = [];
        let after = readOptions.fromPosition ?? 'start';
        for (;;) {
          const page = await readAllPage(after, 'forwards');
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
      subscriptions.add(tracked);
      return tracked;
    },

    async headPosition(): Promise<bigint | 'start'> {
      return guarded(async () => {
        // The newest records are often the server's own (stats every few seconds): skip them.
        let before: bigint | 'start' = 'start';
        for (;;) {
          const page = await readAllPage(before, 'backwards');
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
      await Promise.all([...subscriptions].map((s) => s.stop()));
      await client.dispose();
    },
  };
}
