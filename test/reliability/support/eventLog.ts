import Database from 'better-sqlite3';

/** One recorded event of the embedded store, read straight from its file (read-only). */
export interface LoggedEvent {
  readonly position: number;
  readonly stream: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

/** Every message stream's events in log order, keyed by message id. */
export function readMessageStreams(file: string): Map<string, LoggedEvent[]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare("SELECT position, stream, type, data, metadata FROM events WHERE stream LIKE 'message-%' ORDER BY position").all() as {
      position: number;
      stream: string;
      type: string;
      data: string;
      metadata: string;
    }[];
    const streams = new Map<string, LoggedEvent[]>();
    for (const row of rows) {
      const id = row.stream.slice('message-'.length);
      const event: LoggedEvent = { position: row.position, stream: row.stream, type: row.type, data: JSON.parse(row.data) as Record<string, unknown>, metadata: JSON.parse(row.metadata) as Record<string, unknown> };
      streams.set(id, [...(streams.get(id) ?? []), event]);
    }
    return streams;
  } finally {
    db.close();
  }
}

/** The head position of the log (0 when empty). */
export function headPosition(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT coalesce(max(position), 0) FROM events').pluck().get() as number) ?? 0;
  } finally {
    db.close();
  }
}

/** A message is terminal once its last lifecycle event is a success or a permanent failure. */
export function lifecycleStatus(events: readonly LoggedEvent[]): string {
  let status = 'unknown';
  for (const e of events) {
    switch (e.type) {
      case 'MessageQueued':
      case 'MessageReplayed':
        status = 'queued';
        break;
      case 'DeliveryAttemptStarted':
        status = 'delivering';
        break;
      case 'DeliveryAttemptSucceeded':
        status = 'succeeded';
        break;
      case 'RetryScheduled':
      case 'DeliveryAttemptFailed':
      case 'DeliveryAttemptAbandoned':
        status = 'pending_retry';
        break;
      case 'MessageFailedPermanently':
        status = 'failed_permanent';
        break;
      default:
        break;
    }
  }
  return status;
}

/** Every user table of a SQLite file with all its rows, in a stable order. */
export function dumpTables(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    const dump: Record<string, unknown[]> = {};
    for (const table of tables) {
      const columns = (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((c) => `"${c.name}"`);
      dump[table] = db.prepare(`SELECT * FROM "${table}" ORDER BY ${columns.join(', ')}`).all();
    }
    return dump;
  } finally {
    db.close();
  }
}

/** The same view of the log, read from EventStoreDB (the stand-in) through the adapter. */
export async function readMessageStreamsFromEsdb(connectionString: string): Promise<Map<string, LoggedEvent[]>> {
  const { createEsdbEventStore } = await import('../../../src/eventstore/esdb/index.js');
  const store = createEsdbEventStore({ connectionString });
  try {
    const streams = new Map<string, LoggedEvent[]>();
    for (const r of await store.readAll({ prefixes: ['message-'], maxCount: 10_000_000 })) {
      const id = r.stream.slice('message-'.length);
      const event: LoggedEvent = { position: Number(r.position), stream: r.stream, type: r.type, data: r.data as Record<string, unknown>, metadata: { ...r.metadata } };
      streams.set(id, [...(streams.get(id) ?? []), event]);
    }
    return streams;
  } finally {
    await store.close();
  }
}
