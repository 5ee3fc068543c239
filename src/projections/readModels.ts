/**
 * The read models as the API and the scheduler use them: one connection to
 * `<DATA_DIR>/read-models.sqlite` and a small store per model. Queries are synchronous
 * (better-sqlite3) except findByHash, which implements the API's async ApiKeyLookup.
 */
import type Database from 'better-sqlite3';
import { allProjections } from './all.js';
import { apiKeysStore, type ApiKeysStore } from './apiKeys/store.js';
import { ensureTables, openReadModelDatabase } from './database.js';
import { dueRetryStore, type DueRetryStore } from './dueRetry/store.js';
import { endpointsStore, type EndpointsStore } from './endpoints/store.js';
import { messagesStore, type MessagesStore } from './messages/store.js';
import { metricsStore, type MetricsStore } from './metrics/store.js';

export interface ReadModels {
  readonly db: Database.Database;
  readonly dueRetry: DueRetryStore;
  readonly messages: MessagesStore;
  readonly endpoints: EndpointsStore;
  readonly apiKeys: ApiKeysStore;
  readonly metrics: MetricsStore;
  close(): void;
}

export function openReadModels(file: string): ReadModels {
  const db = openReadModelDatabase(file);
  try {
    ensureTables(db, allProjections);
    return {
      db,
      dueRetry: dueRetryStore(db),
      messages: messagesStore(db),
      endpoints: endpointsStore(db),
      apiKeys: apiKeysStore(db),
      metrics: metricsStore(db),
      close: () => db.close(),
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
