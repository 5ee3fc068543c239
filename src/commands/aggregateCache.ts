import type { EventStore } from '../eventstore/port.js';

/**
 * Folded aggregates kept in memory, one cache per event store, so a command can decide
 * without reading and decoding its stream (the read and decode were a sixth of a
 * retry-now's CPU, BENCHMARKS.md). An entry is the state folded up to one revision. A
 * revision's events never change, so an entry is never wrong about its revision, only
 * possibly behind: another process, or code that appends without handleCommand (the
 * scheduler), may have written since. handleCommand therefore trusts an entry only as far
 * as an append expecting that revision succeeds; a conflict, a no-op or a refusal decided
 * on an entry is decided again on a fresh read (src/commands/handle.ts).
 *
 * Bounded by entry count and by an estimate of the states' size (a message's state holds
 * its payload, up to 1 MB); the least recently used go first.
 */
export interface CachedAggregate<S> {
  readonly revision: bigint;
  readonly state: S;
}

export interface AggregateCacheOptions {
  readonly maxEntries?: number;
  /** Estimated bytes of all states kept (approximateBytes). */
  readonly maxBytes?: number;
}

interface Entry {
  readonly revision: bigint;
  readonly state: unknown;
  /** The fold that built the state: a caller folding differently never gets it. */
  readonly evolve: unknown;
  readonly bytes: number;
}

export const DEFAULT_MAX_AGGREGATES = 10_000;
export const DEFAULT_MAX_AGGREGATE_BYTES = 64 * 1024 * 1024;

export class AggregateCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(options: AggregateCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_AGGREGATES;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_AGGREGATE_BYTES;
  }

  get<S>(stream: string, evolve: unknown): CachedAggregate<S> | undefined {
    const entry = this.#entries.get(stream);
    if (entry === undefined || entry.evolve !== evolve) return undefined;
    // Map order is insertion order: moving the entry to the end makes the first the least recent.
    this.#entries.delete(stream);
    this.#entries.set(stream, entry);
    return { revision: entry.revision, state: entry.state as S };
  }

  /** Keeps `state` as of `revision`, unless a later revision is kept already (a slower read lost the race). */
  set(stream: string, evolve: unknown, revision: bigint, state: unknown): void {
    const existing = this.#entries.get(stream);
    if (existing !== undefined && existing.evolve === evolve && existing.revision > revision) return;
    this.delete(stream);
    const bytes = approximateBytes(state);
    if (bytes > this.#maxBytes) return;
    this.#entries.set(stream, { revision, state, evolve, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  delete(stream: string): void {
    const entry = this.#entries.get(stream);
    if (entry === undefined) return;
    this.#entries.delete(stream);
    this.#bytes -= entry.bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }
}

const caches = new WeakMap<EventStore, AggregateCache>();

/** The cache of one store (created on first use; it goes when the store object does). */
export function aggregateCacheOf(store: EventStore): AggregateCache {
  let cache = caches.get(store);
  if (cache === undefined) {
    cache = new AggregateCache();
    caches.set(store, cache);
  }
  return cache;
}

/**
 * A rough size of a JSON-like value in memory: two bytes per string character and a few
 * words per value and key. It walks fields, not characters, so a large payload costs no
 * more to measure than a small one.
 */
export function approximateBytes(value: unknown): number {
  if (typeof value === 'string') return 16 + 2 * value.length;
  if (typeof value !== 'object' || value === null) return 8;
  let bytes = 32;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) bytes += 8 + approximateBytes(item);
    return bytes;
  }
  for (const key of Object.keys(value)) bytes += 16 + 2 * key.length + approximateBytes((value as Record<string, unknown>)[key]);
  return bytes;
}
