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
 * its payload, up to 1 MB), in two generations: entries go into the young one; when it
 * holds half the budget it becomes the old one and the previous old one is dropped whole;
 * an old entry that is used moves back to the young one. That keeps what is in use at
 * O(1) per call; a Map used as an LRU list (delete the first key when full) slowed to
 * ~20 us per call once 10,000 entries had turned over, walking the holes deletes leave.
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

class Generation {
  readonly entries = new Map<string, Entry>();
  bytes = 0;

  add(stream: string, entry: Entry): void {
    this.entries.set(stream, entry);
    this.bytes += entry.bytes;
  }

  remove(stream: string): Entry | undefined {
    const entry = this.entries.get(stream);
    if (entry === undefined) return undefined;
    this.entries.delete(stream);
    this.bytes -= entry.bytes;
    return entry;
  }
}

export class AggregateCache {
  #young = new Generation();
  #old = new Generation();
  readonly #maxEntries: number;
  readonly #maxBytes: number;

  constructor(options: AggregateCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_AGGREGATES;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_AGGREGATE_BYTES;
  }

  get<S>(stream: string, evolve: unknown): CachedAggregate<S> | undefined {
    let entry = this.#young.entries.get(stream);
    if (entry === undefined) {
      entry = this.#old.remove(stream);
      if (entry === undefined) return undefined;
      this.#keep(stream, entry); // in use again: back into the young generation
    }
    return entry.evolve === evolve ? { revision: entry.revision, state: entry.state as S } : undefined;
  }

  /** Keeps `state` as of `revision`, unless a later revision is kept already (a slower read lost the race). */
  set(stream: string, evolve: unknown, revision: bigint, state: unknown): void {
    // A stream is in one generation at most (get moves it to the young one, set removes it first).
    const young = this.#young.entries.get(stream);
    const existing = young ?? this.#old.entries.get(stream);
    if (existing !== undefined) {
      if (existing.evolve === evolve && existing.revision > revision) return;
      (young !== undefined ? this.#young : this.#old).remove(stream);
    }
    const bytes = approximateBytes(state);
    if (bytes > this.#maxBytes / 2) return;
    this.#keep(stream, { revision, state, evolve, bytes });
  }

  delete(stream: string): void {
    this.#young.remove(stream);
    this.#old.remove(stream);
  }

  get size(): number {
    return this.#young.entries.size + this.#old.entries.size;
  }

  get bytes(): number {
    return this.#young.bytes + this.#old.bytes;
  }

  #keep(stream: string, entry: Entry): void {
    const young = this.#young;
    if (young.entries.size + 1 > this.#maxEntries / 2 || young.bytes + entry.bytes > this.#maxBytes / 2) {
      this.#old = young;
      this.#young = new Generation();
    }
    this.#young.add(stream, entry);
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
