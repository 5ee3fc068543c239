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

export class RowCache<Row> {
  private readonly rows = new Map<string, Row | null>();
  private readonly dirty = new Set<string>();
  private readonly limit: number;

  constructor(private readonly io: RowIo<Row>, hold?: RowHold) {
    this.limit = hold?.limit ?? 0;
    hold?.register(this as RowCache<unknown>);
  }

  get(key: string): Row | null {
    const held = this.rows.get(key);
    if (held !== undefined) return held;
    if (this.rows.has(key)) return null;
    const row = this.io.load(key);
    this.rows.set(key, row);
    return row;
  }

  set(key: string, row: Row | null): void {
    this.rows.set(key, row);
    this.dirty.add(key);
  }

  /** Folds one event into the row at key with a pure evolve. */
  update<E>(key: string, event: E, evolve: (row: Row | null, event: E) => Row | null): Row | null {
    const before = this.get(key);
    const after = evolve(before, event);
    if (after !== before) this.set(key, after);
    return after;
  }

  /**
   * Forgets what a failed batch changed: the transaction that would have held it rolled back.
   * (Held rows of earlier batches go too: a rebuild gives up on any error.)
   */
  discard(): void {
    this.dirty.clear();
    this.rows.clear();
  }

  /** End of a batch: writes the changed rows; when holding, only those it lets go of. */
  flush(): void {
    if (this.limit === 0) {
      this.writeAll();
      return;
    }
    let excess = this.rows.size - this.limit;
    if (excess <= 0) return;
    for (const key of this.rows.keys()) {
      if (excess-- <= 0) break;
      if (this.dirty.delete(key)) this.write(key);
      this.rows.delete(key);
    }
  }

  writeAll(): void {
    for (const key of this.dirty) this.write(key);
    this.dirty.clear();
    this.rows.clear();
  }

  private write(key: string): void {
    const row = this.rows.get(key) ?? null;
    if (row === null) this.io.remove(key);
    else this.io.save(key, row);
  }
}
