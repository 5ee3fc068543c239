import type Database from 'better-sqlite3';
import type { AnyDomainEvent } from '../../domain/events.js';
import type { Projection, ProjectionWriter, TableNames } from '../projection.js';
import { isMessageEvent, isoOf } from '../projection.js';
import { RowCache, type RowHold } from '../rowCache.js';
import { evolveDueRetry, type DueRetryRow, type DueStatus } from './evolve.js';

export const dueRetryTable = {
  name: 'due_retry',
  create: (t: string) => [
    `CREATE TABLE IF NOT EXISTS ${t} (
      message_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, status TEXT NOT NULL,
      due_at INTEGER, attempt_no INTEGER NOT NULL, lease_until INTEGER, expedited INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${t}_due ON ${t} (due_at) WHERE due_at IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS ${t}_endpoint ON ${t} (endpoint_id, due_at) WHERE due_at IS NOT NULL`,
  ],
};

interface SqlRow {
  message_id: string; project_id: string; endpoint_id: string; status: DueStatus; due_at: number | null;
  attempt_no: number; lease_until: number | null; expedited: number;
}
const fromSql = (r: SqlRow): DueRetryRow => ({ ...r, expedited: r.expedited === 1 });

export const dueRetryProjection: Projection = {
  name: 'due-retry',
  tables: [dueRetryTable],
  writer(db: Database.Database, table: TableNames, hold?: RowHold): ProjectionWriter {
    const t = table('due_retry');
    const load = db.prepare(`SELECT * FROM ${t} WHERE message_id = ?`);
    // Positional: cheaper to bind than named, and no copy of the row per write. An upsert rather
    // than INSERT OR REPLACE, so an existing row is updated in place, not deleted and reinserted
    // with its index entries (message, project and endpoint never change for a message).
    const save = db.prepare(`INSERT INTO ${t} (message_id, project_id, endpoint_id, status, due_at, attempt_no, lease_until, expedited)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO UPDATE SET status = excluded.status, due_at = excluded.due_at,
      attempt_no = excluded.attempt_no, lease_until = excluded.lease_until, expedited = excluded.expedited`);
    const remove = db.prepare(`DELETE FROM ${t} WHERE message_id = ?`);
    const rows = new RowCache<DueRetryRow>({
      load: (key) => {
        const r = load.get(key) as SqlRow | undefined;
        return r ? fromSql(r) : null;
      },
      save: (_key, r) => save.run(r.message_id, r.project_id, r.endpoint_id, r.status, r.due_at, r.attempt_no, r.lease_until, r.expedited ? 1 : 0),
      remove: (key) => remove.run(key),
    }, hold, true);
    return {
      apply(event: AnyDomainEvent) {
        if (isMessageEvent(event)) rows.update(event.data.message_id, event, evolveDueRetry);
      },
      discard() {
        rows.discard();
      },
      flush: () => rows.flush(),
    };
  },
};

/** A message the scheduler should attempt now, as due() returns it. */
export interface DueMessage {
  readonly message_id: string;
  readonly project_id: string;
  readonly endpoint_id: string;
  readonly status: Exclude<DueStatus, 'settled'>;
  /** ISO-8601. */
  readonly due_at: string;
  readonly attempt_no: number;
  /** ISO-8601 lease deadline when status is delivering (the lease has then expired). */
  readonly lease_until: string | null;
  readonly expedited: boolean;
}

export interface DueRetryStore {
  /** Awaiting messages with due_at <= nowMs, earliest first; messages of paused endpoints are left out. */
  due(nowMs: number, limit: number): DueMessage[];
  /** Awaiting messages of one endpoint already due at nowMs: what a resume sets going again. */
  countDeferredForEndpoint(endpointId: string, nowMs: number): number;
  /** Awaiting messages (due or not) in total: for status output and tests. */
  countAwaiting(): number;
  get(messageId: string): DueMessage | null;
}

export function dueRetryStore(db: Database.Database): DueRetryStore {
  // LEFT JOIN: a message whose endpoint row is not there yet is still delivered (the scheduler checks the aggregate).
  const due = db.prepare(`SELECT d.* FROM due_retry d LEFT JOIN endpoints e ON e.endpoint_id = d.endpoint_id
    WHERE d.due_at IS NOT NULL AND d.due_at <= ? AND coalesce(e.paused, 0) = 0 ORDER BY d.due_at, d.message_id LIMIT ?`);
  const deferred = db.prepare('SELECT count(*) FROM due_retry WHERE endpoint_id = ? AND due_at IS NOT NULL AND due_at <= ?').pluck();
  const awaiting = db.prepare('SELECT count(*) FROM due_retry WHERE due_at IS NOT NULL').pluck();
  const one = db.prepare('SELECT * FROM due_retry WHERE message_id = ? AND due_at IS NOT NULL');
  const toDue = (r: SqlRow): DueMessage => ({
    message_id: r.message_id, project_id: r.project_id, endpoint_id: r.endpoint_id,
    status: r.status as DueMessage['status'], due_at: isoOf(r.due_at as number), attempt_no: r.attempt_no,
    lease_until: r.lease_until === null ? null : isoOf(r.lease_until), expedited: r.expedited === 1,
  });
  return {
    due: (nowMs, limit) => (due.all(nowMs, limit) as SqlRow[]).map(toDue),
    countDeferredForEndpoint: (endpointId, nowMs) => deferred.get(endpointId, nowMs) as number,
    countAwaiting: () => awaiting.get() as number,
    get: (messageId) => {
      const r = one.get(messageId) as SqlRow | undefined;
      return r ? toDue(r) : null;
    },
  };
}
