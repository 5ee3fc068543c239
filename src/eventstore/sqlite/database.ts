/**
 * Opening the SQLite file: pragmas and schema. Every process that touches the file
 * (the service, the ops CLI) opens it through here, so all agree on WAL and the schema.
 */
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../errors.js';

export type SqliteSynchronous = 'FULL' | 'NORMAL';

export interface OpenDatabaseOptions {
  readonly file: string;
  /** FULL (default): an acknowledged append survives power loss. NORMAL: it survives a process crash. */
  readonly synchronous?: SqliteSynchronous;
  /** How long a write waits for another process's lock before giving up (ms); default 5000. */
  readonly busyTimeoutMs?: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    id       TEXT    NOT NULL UNIQUE,
    stream   TEXT    NOT NULL,
    revision INTEGER NOT NULL,
    type     TEXT    NOT NULL,
    data     TEXT    NOT NULL,
    metadata TEXT    NOT NULL,
    created  INTEGER NOT NULL,
    UNIQUE (stream, revision)
  )`;

export function openDatabase(options: OpenDatabaseOptions): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(options.file, { timeout: options.busyTimeoutMs ?? 5000 });
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.exec(SCHEMA);
    return db;
  } catch (error) {
    db?.close();
    throw toStoreError(error, `Cannot open the event store at ${options.file}`);
  }
}

const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN|PROTOCOL|NOTADB|CORRUPT|PERM|AUTH)/;

/** SQLite errors that mean "the store cannot serve now" become StoreUnavailableError; the rest pass through. */
export function toStoreError(error: unknown, context: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE.test(code)) {
    return new StoreUnavailableError(`${context}: ${code}`, { cause: error });
  }
  if (error instanceof TypeError && /database connection is not open/i.test(error.message)) {
    return new StoreUnavailableError(`${context}: the store is closed`, { cause: error });
  }
  return error;
}
