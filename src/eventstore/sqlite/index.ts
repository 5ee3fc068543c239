export { openSqliteEventStore } from './sqliteEventStore.js';
export type { SqliteEventStore, SqliteEventStoreOptions } from './sqliteEventStore.js';
export type { SqliteSynchronous } from './database.js';
export type { GroupCommitStats } from './groupCommit.js';
