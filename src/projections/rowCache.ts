/**
 * The rows one batch touches, kept in memory between evolve calls and written once at
 * flush: a message's whole lifecycle often lands in one batch, so this turns many
 * read-modify-write round trips into one write per row.
 */
export interface RowIo<Row> {
  load(key: string): Row | null;
  save(key: string, row: Row): void;
  remove(key: string): void;
}

/**
 * Write-back across batches, for a rebuild only: its side tables are new and nobody else
 * writes them, so the rows can stay in memory from page to page and each is written when
 * it leaves memory (the oldest first once a cache holds more than `limit`) or at flushAll.
 * A message whose lifecycle spans pages is then loaded and written once instead of once per
 * page. The live runner never holds rows: its tables change under it (a rebuild's swap).
 * The tables must start EMPTY: a key no row was ever written for is then known to be absent
 * without asking SQLite (see WrittenKeys), which spares one lookup per new message per table.
 */
export class RowHold {
  private readonly caches: RowCache<unknown>[] = [];

  constructor(readonly limit: number) {}

  register(cache: RowCache<unknown>): void {
    this.caches.push(cache);
  }

  /** Writes every held row (inside the caller's transaction) and empties the caches. */
  flushAll(): void {
    for (const cache of this.caches) cache.writeAll();
  }
}

/**
 * The keys a holding cache wrote, as a Bloom filter (fixed 1 MiB): "no" is certain, so the
 * key's row is not in the (initially empty) table; "maybe" falls back to a lookup. Past a few
 * million keys it answers "maybe" more often, which only costs the lookups it saved.
 */
class WrittenKeys {
  private readonly bits = new Uint32Array(1 << 18); // 2^23 bits

  add(key: string): void {
    const [a, b] = WrittenKeys.hashes(key);
    this.bits[a >>> 5]! |= 1 << (a & 31);
    this.bits[b >>> 5]! |= 1 << (b & 31);
  }

  mightHave(key: string): boolean {
    const [a, b] = WrittenKeys.hashes(key);
    return (this.bits[a >>> 5]! & (1 << (a & 31))) !== 0 && (this.bits[b >>> 5]! & (1 << (b & 31))) !== 0;
  }

  /** Two FNV-1a variants over the UTF-16 code units, 23 bits each. */
  private static hashes(key: string): [number, number] {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    return [(h1 ^ (h1 >>> 15)) & 0x7fffff, (h2 ^ (h2 >>> 13)) & 0x7fffff];
  }
}

const ABSENT: unique symbol = Symbol('absent');

export class RowCache<Row> {
  /** ABSENT: known to have no row (a miss is then one lookup, not a get and a has). */
  private readonly rows = new Map<string, Row | typeof ABSENT>();
  /** Held keys read but not changed since: the only ones not to write (tracking these, not the changed ones, saves a set operation per event). */
  private readonly clean = new Set<string>();
  private readonly limit: number;
  private readonly written: WrittenKeys | undefined;

  /**
   * reuse: copy an evolved row into the held one instead of holding the new object. Only for
   * rows whose evolve always returns every field (Object.assign adds and overwrites, never
   * deletes). A held row then stays one object for its whole stay, old in the heap, and each
   * event's new row dies young: a young-generation GC copies what survives it, and held rows
   * replaced per event were most of that in a rebuild.
   */
  constructor(private readonly io: RowIo<Row>, hold?: RowHold, private readonly reuse = false) {
    this.limit = hold?.limit ?? 0;
    this.written = hold === undefined ? undefined : new WrittenKeys();
    hold?.register(this as RowCache<unknown>);
  }

  get(key: string): Row | null {
    const held = this.rows.get(key);
    if (held !== undefined) return held === ABSENT ? null : held;
    const row = this.fetch(key);
    this.rows.set(key, row ?? ABSENT);
    this.clean.add(key);
    return row;
  }

  set(key: string, row: Row | null): void {
    this.rows.set(key, row ?? ABSENT);
    if (this.clean.size !== 0) this.clean.delete(key);
  }

  /** Folds one event into the row at key with a pure evolve (one map lookup and one store per event: a rebuild's hot path). */
  update<E>(key: string, event: E, evolve: (row: Row | null, event: E) => Row | null): Row | null {
    const held = this.rows.get(key);
    const before = held === undefined ? this.fetch(key) : held === ABSENT ? null : held;
    const after = evolve(before, event);
    if (this.reuse && held !== undefined && held !== ABSENT && after !== null && after !== before) {
      Object.assign(held as object, after);
      if (this.clean.size !== 0) this.clean.delete(key);
      return held;
    }
    if (after !== before) this.set(key, after);
    else if (held === undefined) {
      this.rows.set(key, before ?? ABSENT);
      this.clean.add(key);
    }
    return after;
  }

  private fetch(key: string): Row | null {
    return this.written !== undefined && !this.written.mightHave(key) ? null : this.io.load(key);
  }

  /**
   * Forgets what a failed batch changed: the transaction that would have held it rolled back.
   * (Held rows of earlier batches go too: a rebuild gives up on any error.)
   */
  discard(): void {
    this.clean.clear();
    this.rows.clear();
  }

  /** End of a batch: writes the changed rows; when holding, only those it lets go of. */
  flush(): void {
    if (this.limit === 0) {
      this.writeAll();
      return;
    }
    if (this.rows.size <= this.limit) return;
    // Let go of a quarter at once: the writes then land in few, large transactions instead
    // of a few hundred rows in every page's commit (each commit has a fixed cost in SQLite).
    let excess = this.rows.size - this.limit + (this.limit >>> 2);
    for (const key of this.rows.keys()) {
      if (excess-- <= 0) break;
      if (this.clean.size === 0 || !this.clean.delete(key)) this.write(key);
      this.rows.delete(key);
    }
  }

  writeAll(): void {
    for (const key of this.rows.keys()) if (this.clean.size === 0 || !this.clean.has(key)) this.write(key);
    this.clean.clear();
    this.rows.clear();
  }

  private write(key: string): void {
    const row = this.rows.get(key);
    if (row === undefined || row === ABSENT) this.io.remove(key);
    else {
      this.io.save(key, row);
      this.written?.add(key);
    }
  }
}
