/**
 * The test server's in-memory transaction log: one ordered array of records ($all)
 * plus a per-stream index. It models the EventStoreDB rules the adapter relies on:
 * expected-revision checks, idempotent re-appends by event id, and log positions that
 * are byte-offset-like (sparse, strictly increasing, commit == prepare for every event
 * because every gRPC append is an implicit transaction). It outlives server restarts.
 */
import { randomUUID } from 'node:crypto';

export interface LogRecord {
  readonly id: string;
  readonly stream: string;
  readonly revision: bigint;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
  /** Pre-position of the record: commit and prepare positions are both this value. */
  readonly position: bigint;
  /** 100 ns ticks since the Unix epoch, as the server stamps `created`. */
  readonly createdTicks: bigint;
  /** Index in the log array, for cursors. */
  readonly index: number;
}

export interface ProposedEvent {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
}

/** What the append expected of the stream, as the wire carries it. */
export type WireExpected =
  | { readonly kind: 'any' }
  | { readonly kind: 'no_stream' }
  | { readonly kind: 'stream_exists' }
  | { readonly kind: 'revision'; readonly revision: bigint };

export type AppendOutcome =
  | { readonly ok: true; readonly lastRevision: bigint; readonly position: bigint }
  | { readonly ok: false; readonly currentRevision: bigint | 'no_stream' };

/** Where the first event lands: real servers start $all with their own records. */
const FIRST_POSITION = 1_024n;
/** Fixed per-record overhead added to the payload size to advance the position. */
const RECORD_OVERHEAD = 96n;

export class MemoryLog {
  readonly records: LogRecord[] = [];
  private readonly streams = new Map<string, LogRecord[]>();
  private readonly listeners = new Set<() => void>();
  private nextPosition = FIRST_POSITION;

  /** Called (synchronously) after each write; live subscriptions use it to wake up. */
  onWrite(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stream(name: string): readonly LogRecord[] | undefined {
    return this.streams.get(name);
  }

  /**
   * Appends with EventStoreDB's idempotency rule: when the events' ids are exactly the
   * events already written right after the expected point, answer success without
   * writing (for 'any'/'stream_exists' the server checks the stream's tail, as its
   * recent-ids cache would). A partial match is a wrong expected version.
   */
  append(streamName: string, expected: WireExpected, events: readonly ProposedEvent[]): AppendOutcome {
    const existing = this.streams.get(streamName) ?? [];
    const current: bigint | 'no_stream' = existing.length === 0 ? 'no_stream' : BigInt(existing.length - 1);
    const writeAfter = this.expectedStart(expected, existing.length);

    if (writeAfter === 'tail') {
      if (expected.kind === 'stream_exists' && existing.length === 0) return { ok: false, currentRevision: current };
      const tail = existing.slice(existing.length - events.length);
      if (events.length > 0 && tail.length === events.length && tail.every((r, i) => r.id === events[i]?.id)) {
        return this.alreadyWritten(tail);
      }
      return this.write(streamName, existing, events);
    }
    // A specific point: the stream must be exactly there, or already hold these events after it.
    if (writeAfter === existing.length) return this.write(streamName, existing, events);
    if (writeAfter < existing.length) {
      const following = existing.slice(writeAfter, writeAfter + events.length);
      if (following.length === events.length && following.every((r, i) => r.id === events[i]?.id)) {
        return this.alreadyWritten(following);
      }
    }
    return { ok: false, currentRevision: current };
  }

  /** Writes a system record (stream and type start with `$`), as a real server does now and then. */
  appendSystem(stream: string, type: string): void {
    const existing = this.streams.get(stream) ?? [];
    const body = Buffer.from(JSON.stringify({ at: new Date().toISOString() }), 'utf8');
    this.write(stream, existing, [{ id: randomUUID(), type, contentType: 'application/json', data: body, customMetadata: new Uint8Array() }]);
  }

  /** Index of the first record at or after `position` (records are sorted by position). */
  indexAtOrAfter(position: bigint): number {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.records[mid]?.position ?? 0n) < position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private expectedStart(expected: WireExpected, length: number): number | 'tail' {
    switch (expected.kind) {
      case 'any':
      case 'stream_exists':
        return 'tail';
      case 'no_stream':
        return 0;
      case 'revision':
        // A revision beyond the stream can never match; clamp to "wrong".
        return expected.revision + 1n > BigInt(length) ? length + 1 : Number(expected.revision + 1n);
      default: {
        const never: never = expected;
        throw new Error(`unknown expected revision ${String(never)}`);
      }
    }
  }

  private alreadyWritten(records: readonly LogRecord[]): AppendOutcome {
    const last = records[records.length - 1];
    if (!last) throw new Error('idempotent append of no events');
    return { ok: true, lastRevision: last.revision, position: last.position };
  }

  private write(streamName: string, existing: LogRecord[], events: readonly ProposedEvent[]): AppendOutcome {
    const createdTicks = BigInt(Date.now()) * 10_000n;
    let last: LogRecord | undefined;
    for (const event of events) {
      last = {
        ...event,
        stream: streamName,
        revision: BigInt(existing.length),
        position: this.nextPosition,
        createdTicks,
        index: this.records.length,
      };
      this.nextPosition += RECORD_OVERHEAD + BigInt(event.data.length + event.customMetadata.length + streamName.length);
      existing.push(last);
      this.records.push(last);
    }
    this.streams.set(streamName, existing);
    if (!last) throw new Error('append of no events');
    for (const listener of this.listeners) listener();
    return { ok: true, lastRevision: last.revision, position: last.position };
  }
}
