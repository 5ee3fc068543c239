import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Config } from '../config.js';
import type { EventStore } from '../eventstore/port.js';
import { openSqliteEventStore } from '../eventstore/sqlite/index.js';
import { createEsdbEventStore } from '../eventstore/esdb/index.js';
import { streamPrefix } from '../domain/streams.js';

/** Where the embedded store lives under DATA_DIR. */
export const eventStoreFile = (dataDir: string): string => join(dataDir, 'events.sqlite');
export const readModelFile = (dataDir: string): string => join(dataDir, 'read-models.sqlite');

/** The one place an adapter is chosen from config: EventStoreDB when a connection string is set. */
export function openEventStore(config: Pick<Config, 'DATA_DIR' | 'EVENTSTORE_CONNECTION_STRING' | 'SQLITE_SYNCHRONOUS'>): EventStore {
  if (config.EVENTSTORE_CONNECTION_STRING !== undefined) {
    return createEsdbEventStore({ connectionString: config.EVENTSTORE_CONNECTION_STRING });
  }
  mkdirSync(config.DATA_DIR, { recursive: true });
  return openSqliteEventStore({
    file: eventStoreFile(config.DATA_DIR),
    synchronous: config.SQLITE_SYNCHRONOUS,
    // Small streams read on hot paths (every send loads its endpoint; projects hold the keys).
    cachedStreamPrefixes: [streamPrefix.endpoint, streamPrefix.project],
  });
}
