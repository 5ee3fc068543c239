import type Database from 'better-sqlite3';
import type { AnyDomainEvent } from '../domain/events.js';
import { messageEventSchemas, type MessageEvent } from '../domain/message/events.js';
import { epochMs } from './epochMs.js';
import type { RowHold } from './rowCache.js';

/**
 * What every read model gives the runner and the rebuild: its tables (created under any
 * physical name, so a rebuild can build them beside the live ones) and a writer that folds
 * decoded events into them. Writers hold rows touched by a batch in memory and write them
 * once in flush(), always inside the caller's transaction.
 */
export const projectionNames = ['due-retry', 'messages', 'endpoints', 'api-keys', 'metrics'] as const;
export type ProjectionName = (typeof projectionNames)[number];

export const isProjectionName = (name: string): name is ProjectionName => (projectionNames as readonly string[]).includes(name);

export interface TableSpec {
  /** The live table's name; queries always use it. */
  readonly name: string;
  /**
   * DDL for the table under a physical name: the CREATE TABLE first, then its indexes (a
   * rebuild creates those after the bulk load). Index names derive from the physical name
   * so side tables never clash with live ones.
   */
  readonly create: (table: string) => readonly string[];
}

/** Maps a live table name to the physical table a writer writes (itself, or a rebuild's side table). */
export type TableNames = (live: string) => string;

export interface ProjectionWriter {
  apply(event: AnyDomainEvent): void;
  /** Writes the rows changed since the last flush. */
  flush(): void;
  /** Drops unflushed changes after a failed transaction. */
  discard(): void;
}

export interface Projection {
  readonly name: ProjectionName;
  readonly tables: readonly TableSpec[];
  /** hold: a rebuild's write-back across batches (see RowHold); the live runner passes none. */
  writer(db: Database.Database, table: TableNames, hold?: RowHold): ProjectionWriter;
}

/** Times in rows are ms since the epoch (INTEGER columns sort and compare cheaply); Date.parse's answer, quicker for toISOString() text. */
export const ms = epochMs;
export const isoOf = (epochMs: number): string => new Date(epochMs).toISOString();
export const isoOrNull = (epochMs: number | null): string | null => (epochMs === null ? null : isoOf(epochMs));

const messageTypes: ReadonlySet<string> = new Set(Object.keys(messageEventSchemas));
export const isMessageEvent = (event: AnyDomainEvent): event is MessageEvent => messageTypes.has(event.type);
