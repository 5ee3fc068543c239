/**
 * Whole-stream reads of a few small, hot streams served from memory. Every send loads its
 * endpoint's stream; reading and parsing it from SQLite was most of a send's store time
 * in the API bench (BENCHMARKS.md).
 *
 * Never stale: a stream is forgotten by every commit of this connection that appends to it
 * (the store's group committer calls forget() right after COMMIT) and the whole cache is
 * dropped whenever PRAGMA data_version says another connection (the ops CLI, another
 * process) has committed. Dropping everything on each commit instead left a send under
 * load reading its endpoint from SQLite nearly every time: some other message was always
 * being committed. Events are frozen, so
 * a caller that mutated one would throw instead of corrupting what the next caller gets.
 */
import type { RecordedEvent } from '../port.js';

/** Streams with more events than this are not kept (they are not the small ones this is for). */
const MAX_EVENTS = 64;
const MAX_STREAMS = 1000;

export class StreamCache {
  readonly #prefixes: readonly string[];
  readonly #dataVersion: () => unknown;
  readonly #streams = new Map<string, readonly RecordedEvent[]>();
  #version: unknown = undefined;

  constructor(prefixes: readonly string[], dataVersion: () => unknown) {
    this.#prefixes = prefixes;
    this.#dataVersion = dataVersion;
  }

  get(stream: string): readonly RecordedEvent[] | undefined {
    if (!this.#wanted(stream)) return undefined;
    const version = this.#dataVersion();
    if (version !== this.#version) {
      this.#streams.clear();
      this.#version = version;
      return undefined;
    }
    return this.#streams.get(stream);
  }

  /** Keeps a stream just read in full (only after get() missed, so the version is current). */
  offer(stream: string, events: readonly RecordedEvent[]): void {
    if (!this.#wanted(stream) || events.length === 0 || events.length > MAX_EVENTS) return;
    if (this.#streams.size >= MAX_STREAMS) this.#streams.clear();
    for (const event of events) deepFreeze(event);
    this.#streams.set(stream, [...events]); // the array handed to the reader stays the reader's
  }

  /** Drops one stream (this connection just appended to it). */
  forget(stream: string): void {
    this.#streams.delete(stream);
  }

  #wanted(stream: string): boolean {
    for (const prefix of this.#prefixes) if (stream.startsWith(prefix)) return true;
    return false;
  }
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const member of Object.values(value)) deepFreeze(member);
}
