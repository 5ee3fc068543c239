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

export class RowCache<Row> {
  private readonly rows = new Map<string, Row | null>();
  private readonly dirty = new Set<string>();

  constructor(private readonly io: RowIo<Row>) {}

  get(key: string): Row | null {
    if (this.rows.has(key)) return this.rows.get(key) ?? null;
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

  /** Forgets what a failed batch changed: the transaction that would have held it rolled back. */
  discard(): void {
    this.dirty.clear();
    this.rows.clear();
  }

  flush(): void {
    for (const key of this.dirty) {
      const row = this.rows.get(key) ?? null;
      if (row === null) this.io.remove(key);
      else this.io.save(key, row);
    }
    this.dirty.clear();
    this.rows.clear();
  }
}
