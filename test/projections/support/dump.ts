import type Database from 'better-sqlite3';
import { allProjections } from '../../../src/projections/all.js';

/** Every read-model table's rows, sorted: two databases with equal dumps answer every query alike. */
export function dumpReadModels(db: Database.Database): Record<string, unknown[]> {
  const dump: Record<string, unknown[]> = {};
  for (const projection of allProjections) {
    for (const table of projection.tables) {
      const rows = db.prepare(`SELECT * FROM ${table.name}`).all().map((r) => JSON.stringify(r));
      dump[table.name] = rows.sort();
    }
  }
  return dump;
}
