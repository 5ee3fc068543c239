/**
 * The read-model file (`<DATA_DIR>/read-models.sqlite`): every projection's tables and
 * the checkpoint table. synchronous=NORMAL: a power cut can lose the last commits, and
 * the runner then re-applies them from its (equally old) checkpoint.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { Projection } from './projection.js';

export const READ_MODELS_FILE = 'read-models.sqlite';
export const readModelsPath = (dataDir: string): string => join(dataDir, READ_MODELS_FILE);

export function openReadModelDatabase(file: string, busyTimeoutMs = 5000): Database.Database {
  const db = new Database(file, { timeout: busyTimeoutMs });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE IF NOT EXISTS checkpoints (projection TEXT PRIMARY KEY, position INTEGER NOT NULL)');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Creates a projection's live tables when missing (first start, or a new projection).
 * A table that exists is left alone, indexes included: after a rebuild swap its indexes
 * carry the side table's names, and recreating the canonical ones would double them.
 */
export function ensureTables(db: Database.Database, projections: readonly Projection[]): void {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck();
  db.transaction(() => {
    for (const projection of projections) {
      for (const table of projection.tables) {
        if (exists.get(table.name) === undefined) for (const ddl of table.create(table.name)) db.exec(ddl);
      }
    }
  })();
}

/** Positions are bigint; an absent row means "from the start". */
export type Checkpoint = bigint | 'start';

export interface CheckpointStore {
  all(): Map<string, bigint>;
  get(projection: string): Checkpoint;
  set(projection: string, position: Checkpoint): void;
}

export function checkpointStore(db: Database.Database): CheckpointStore {
  const all = db.prepare('SELECT projection, position FROM checkpoints').safeIntegers(true);
  const one = db.prepare('SELECT position FROM checkpoints WHERE projection = ?').safeIntegers(true).pluck();
  const upsert = db.prepare('INSERT INTO checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position');
  const remove = db.prepare('DELETE FROM checkpoints WHERE projection = ?');
  return {
    all: () => new Map((all.all() as { projection: string; position: bigint }[]).map((r) => [r.projection, r.position])),
    get: (projection) => (one.get(projection) as bigint | undefined) ?? 'start',
    set: (projection, position) => {
      if (position === 'start') remove.run(projection);
      else upsert.run(projection, position);
    },
  };
}

export const isAfter = (position: bigint, checkpoint: Checkpoint): boolean => checkpoint === 'start' || position > checkpoint;
