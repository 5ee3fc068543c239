/**
 * The event store port: the one interface every adapter (EventStoreDB, embedded
 * SQLite, in-memory) implements, and the only way the rest of the service reaches
 * the log. Revisions and positions are bigint; positions are EXCLUSIVE when used as
 * a starting point ("give me what comes after this").
 */

/** What an append expects of the stream before it writes. */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

/** An event on its way in. The id (a UUID) makes a retried append idempotent. */
export interface EventToAppend {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** An event as the log holds it. */
export interface RecordedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly stream: string;
  /** 0-based position of the event inside its stream. */
  readonly revision: bigint;
  /** Position in the global log; strictly increasing in log order. */
  readonly position: bigint;
  readonly created: Date;
}

export interface AppendOptions {
  readonly expectedRevision?: ExpectedRevision; // default 'any'
}

export interface AppendResult {
  /** Revision of the last event now in the stream: pass it as the next expectedRevision. */
  readonly nextExpectedRevision: bigint;
  /** Global position of the last event written (or already present, on an idempotent re-append). */
  readonly position: bigint;
}

export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards'; // default forwards
  /** Inclusive. Default: 'start' forwards, 'end' backwards. */
  readonly fromRevision?: bigint | 'start' | 'end';
  readonly maxCount?: number; // default: all
}

export interface ReadAllOptions {
  /** Exclusive. Default 'start'. */
  readonly fromPosition?: bigint | 'start';
  readonly maxCount?: number; // default 1000
  /** Keep only events whose stream name starts with one of these. */
  readonly prefixes?: readonly string[];
}

export interface SubscribeOptions {
  /** Exclusive: the subscription delivers events after it. Default 'start'. */
  readonly fromPosition?: bigint | 'start';
  /** Keep only events whose stream name starts with one of these. System streams ($...) never pass. */
  readonly prefixes?: readonly string[];
  /**
   * Called with events in log order, in batches; the next batch waits for the promise.
   * At-least-once: after a resubscription a handler may see events it already saw
   * (it should track its own checkpoint).
   */
  readonly onEvents: (events: readonly RecordedEvent[]) => Promise<void>;
  /** Called each time the subscription has delivered everything the log held (then it is live). */
  readonly onCaughtUp?: (position: bigint | 'start') => void;
  /**
   * Called when the source dropped; the subscription resubscribes by itself with backoff.
   * A handler that throws counts as a drop: onDropped gets its error, and after the
   * backoff the subscription resumes after the last batch the handler completed (so the
   * failed batch is delivered again). Do not await stop() inside onEvents.
   */
  readonly onDropped?: (error: unknown) => void;
}

export interface Subscription {
  /** Stops delivery; resolves once no handler call is in progress. */
  stop(): Promise<void>;
}

export interface EventStore {
  append(stream: string, events: readonly EventToAppend[], options?: AppendOptions): Promise<AppendResult>;
  /** A missing stream reads as no events. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribeToAll(options: SubscribeOptions): Subscription;
  /** Position of the last event in the log ('start' when empty): lag = head - checkpoint. */
  headPosition(): Promise<bigint | 'start'>;
  /**
   * Why the store refuses every append until it is restarted (a failed fsync in the embedded
   * store), or undefined while it accepts them; readiness reports it. Adapters that cannot
   * end up in such a state leave it out.
   */
  brokenBecause?(): string | undefined;
  close(): Promise<void>;
}

/** Largest total size of one append (event data + metadata, as JSON), as EventStoreDB 24.10 allows. */
export const MAX_APPEND_BYTES = 1024 * 1024;
