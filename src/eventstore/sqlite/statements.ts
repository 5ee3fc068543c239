/**
 * Every SQL statement the adapter runs, prepared once. Integers come back as bigint
 * (safeIntegers) because revisions and positions are bigint in the port.
 */
import type Database from 'better-sqlite3';

export interface EventRow {
  readonly position: bigint;
  readonly id: string;
  readonly stream: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly created: bigint;
}

const COLUMNS = 'position, id, stream, revision, type, data, metadata, created';

export function prepareStatements(db: Database.Database) {
  const prepare = (sql: string) => db.prepare(sql).safeIntegers(true);
  return {
    lastRevision: prepare('SELECT max(revision) AS revision FROM events WHERE stream = ?').pluck(),
    idsFrom: prepare('SELECT id FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?').pluck(),
    revisionOf: prepare('SELECT revision FROM events WHERE id = ? AND stream = ?').pluck(),
    streamOf: prepare('SELECT stream FROM events WHERE id = ?').pluck(),
    positionAt: prepare('SELECT position FROM events WHERE stream = ? AND revision = ?').pluck(),
    insert: prepare('INSERT INTO events (id, stream, revision, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    dataVersion: db.prepare('PRAGMA data_version').pluck(),
    head: prepare('SELECT max(position) FROM events').pluck(),
    forwards: prepare(`SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`),
    backwards: prepare(`SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`),
    after: prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
