/**
 * In-memory event store for unit tests: the full port semantics (expected revisions,
 * idempotent re-append, limits, catch-up subscriptions) with no I/O.
 */
import { decideAppend } from '../appendDecision.js';
import { ChangeSignal } from '../changeSignal.js';
import { passesFilter, startTrackedSubscription } from '../catchUpSubscription.js';
import type { DroppableSubscription, LogWindow } from '../catchUpSubscription.js';
import { InvalidAppendError, StoreUnavailableError } from '../errors.js';
import type {
  AppendOptions, AppendResult, EventStore, EventToAppend, ReadAllOptions, ReadStreamOptions, RecordedEvent,
  SubscribeOptions, Subscription,
} from '../port.js';
import { validateAppend } from '../validateAppend.js';

export interface MemoryEventStoreOptions {
  /** Clock for `created`; default the system clock. */
  readonly now?: () => Date;
  /** Events per onEvents call while catching up; default 500. */
  readonly subscriptionBatchSize?: number;
}

export interface MemoryEventStore extends EventStore {
  /** Test hook: every live subscription drops (onDropped is called) and then resubscribes. */
  dropSubscriptions(): void;
}

/** Stored form: JSON text, so readers get fresh copies and never share objects with writers. */
interface StoredEvent {
  readonly id: string;
  readonly type: string;
  readonly dataJson: string;
  readonly metadataJson: string;
  readonly stream: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly created: number;
}

export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): MemoryEventStore {
  const now = options.now ?? ((): Date => new Date());
  const batchSize = options.subscriptionBatchSize ?? 500;
  const log: StoredEvent[] = []; // log[i].position === BigInt(i + 1)
  const streams = new Map<string, StoredEvent[]>();
  const byId = new Map<string, StoredEvent>();
  const changes = new ChangeSignal();
  const subscriptions = new Set<DroppableSubscription>();
  let closed = false;

  const assertOpen = (): void => {
    if (closed) throw new StoreUnavailableError('The in-memory event store is closed');
  };

  const append = async (stream: string, events: readonly EventToAppend[], appendOptions?: AppendOptions): Promise<AppendResult> => {
    assertOpen();
    const prepared = validateAppend(stream, events);
    const existing = streams.get(stream) ?? [];
    const ids = prepared.map((e) => e.id);
    const decision = decideAppend(stream, appendOptions?.expectedRevision ?? 'any', ids, {
      actual: existing.length === 0 ? 'no_stream' : BigInt(existing.length - 1),
      idsFrom: (revision, count) => existing.slice(Number(revision), Number(revision) + count).map((e) => e.id),
      revisionOf: (id) => {
        const found = byId.get(id);
        return found?.stream === stream ? found.revision : undefined;
      },
    });
    if (decision.kind === 'already_written') {
      const last = existing[Number(decision.lastRevision)];
      if (last === undefined) throw new Error('idempotent append points past the stream end');
      return { nextExpectedRevision: last.revision, position: last.position };
    }
    const taken = ids.find((id) => byId.has(id));
    if (taken !== undefined) {
      throw new InvalidAppendError('invalid_event', `Event id ${taken} is already in stream ${byId.get(taken)?.stream ?? '?'}`);
    }
    const created = now().getTime();
    const written = prepared.map((e, i): StoredEvent => ({
      ...e,
      stream,
      revision: BigInt(existing.length + i),
      position: BigInt(log.length + i + 1),
      created,
    }));
    log.push(...written);
    existing.push(...written);
    streams.set(stream, existing);
    for (const e of written) byId.set(e.id, e);
    changes.bump();
    const last = written[written.length - 1];
    if (last === undefined) throw new Error('validated append had no events');
    return { nextExpectedRevision: last.revision, position: last.position };
  };

  const readStream = async (stream: string, readOptions: ReadStreamOptions = {}): Promise<RecordedEvent[]> => {
    assertOpen();
    const events = streams.get(stream) ?? [];
    const backwards = readOptions.direction === 'backwards';
    const max = readOptions.maxCount ?? Number.MAX_SAFE_INTEGER;
    const from = readOptions.fromRevision ?? (backwards ? 'end' : 'start');
    // Forwards from 'end' is past the last event (nothing), as EventStoreDB reads it.
    const start = from === 'start' ? 0 : from === 'end' ? (backwards ? events.length - 1 : events.length) : Number(from);
    const out: RecordedEvent[] = [];
    if (backwards) {
      for (let i = Math.min(start, events.length - 1); i >= 0 && out.length < max; i -= 1) out.push(toRecorded(events[i]));
    } else {
      for (let i = Math.max(start, 0); i < events.length && out.length < max; i += 1) out.push(toRecorded(events[i]));
    }
    return out;
  };

  const readAfter = async (after: bigint | 'start', max: number, prefixes: readonly string[] | undefined): Promise<LogWindow> => {
    assertOpen();
    const events: RecordedEvent[] = [];
    let index = after === 'start' ? 0 : Number(after);
    let scannedTo = after;
    while (index < log.length && events.length < max) {
      const stored = log[index] as StoredEvent;
      if (passesFilter(stored.stream, prefixes)) events.push(toRecorded(stored));
      scannedTo = stored.position;
      index += 1;
    }
    return { events, scannedTo, atEnd: index >= log.length };
  };

  const readAll = async (readOptions: ReadAllOptions = {}): Promise<RecordedEvent[]> =>
    (await readAfter(readOptions.fromPosition ?? 'start', readOptions.maxCount ?? 1000, readOptions.prefixes)).events;

  const subscribeToAll = (subscribeOptions: SubscribeOptions): Subscription => {
    assertOpen();
    return startTrackedSubscription({ readAfter, changes }, subscribeOptions, batchSize, subscriptions);
  };

  return {
    append,
    readStream,
    readAll,
    subscribeToAll,
    headPosition: async () => {
      assertOpen();
      return log.length === 0 ? 'start' : BigInt(log.length);
    },
    dropSubscriptions: () => {
      for (const s of subscriptions) s.drop(new StoreUnavailableError('connection dropped (test hook)'));
    },
    close: async () => {
      if (closed) return;
      await Promise.all([...subscriptions].map((s) => s.stop()));
      subscriptions.clear();
      closed = true;
    },
  };
}

function toRecorded(stored: StoredEvent | undefined): RecordedEvent {
  if (stored === undefined) throw new Error('read past the end of the log');
  return {
    id: stored.id,
    type: stored.type,
    data: JSON.parse(stored.dataJson) as unknown,
    metadata: JSON.parse(stored.metadataJson) as Record<string, unknown>,
    stream: stored.stream,
    revision: stored.revision,
    position: stored.position,
    created: new Date(stored.created),
  };
}
