import type Database from 'better-sqlite3';
import { isMessageEvent, isoOf, type Projection, type TableNames } from '../projection.js';
import { RowCache, type RowHold } from '../rowCache.js';
import {
  BUCKET_MS, bucketKey, bucketOf, countOf, evolveMessageRef, evolveMetricsBucket, type MessageRefRow, type MetricsBucketRow,
} from './evolve.js';
import { windowSpec, type MetricWindow } from './windows.js';

export const metricsBucketsTable = {
  name: 'metrics_buckets',
  create: (t: string) => [
    `CREATE TABLE IF NOT EXISTS ${t} (
      project_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, bucket_start INTEGER NOT NULL, total INTEGER NOT NULL,
      succeeded INTEGER NOT NULL, failed INTEGER NOT NULL, retries INTEGER NOT NULL, latency_sum INTEGER NOT NULL,
      latency_count INTEGER NOT NULL, PRIMARY KEY (project_id, endpoint_id, bucket_start)) WITHOUT ROWID`,
    `CREATE INDEX IF NOT EXISTS ${t}_project ON ${t} (project_id, bucket_start)`,
  ],
};

export const metricsMessagesTable = {
  name: 'metrics_messages',
  create: (t: string) => [
    `CREATE TABLE IF NOT EXISTS ${t} (message_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, endpoint_id TEXT NOT NULL) WITHOUT ROWID`,
  ],
};

export const metricsProjection: Projection = {
  name: 'metrics',
  tables: [metricsBucketsTable, metricsMessagesTable],
  writer(db: Database.Database, table: TableNames, hold?: RowHold) {
    const b = table('metrics_buckets');
    const m = table('metrics_messages');
    const loadRef = db.prepare(`SELECT * FROM ${m} WHERE message_id = ?`);
    // Positional parameters: named ones cost ~2x to bind (one property lookup by name each), and a rebuild writes a ref row per message.
    const saveRef = db.prepare(`INSERT OR REPLACE INTO ${m} (message_id, project_id, endpoint_id) VALUES (?, ?, ?)`);
    const removeRef = db.prepare(`DELETE FROM ${m} WHERE message_id = ?`);
    const loadBucket = db.prepare(`SELECT * FROM ${b} WHERE project_id = ? AND endpoint_id = ? AND bucket_start = ?`);
    const saveBucket = db.prepare(`INSERT OR REPLACE INTO ${b} (project_id, endpoint_id, bucket_start, total, succeeded, failed, retries, latency_sum, latency_count)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const removeBucket = db.prepare(`DELETE FROM ${b} WHERE project_id = ? AND endpoint_id = ? AND bucket_start = ?`);
    const splitKey = (key: string): [string, string, number] => {
      const [p, e, start] = key.split('\u0000') as [string, string, string];
      return [p, e, Number(start)];
    };
    const refs = new RowCache<MessageRefRow>({
      load: (key) => (loadRef.get(key) as MessageRefRow | undefined) ?? null,
      save: (_key, r) => saveRef.run(r.message_id, r.project_id, r.endpoint_id),
      remove: (key) => removeRef.run(key),
    }, hold, true);
    const buckets = new RowCache<MetricsBucketRow>({
      load: (key) => (loadBucket.get(...splitKey(key)) as MetricsBucketRow | undefined) ?? null,
      save: (_key, r) => saveBucket.run(r.project_id, r.endpoint_id, r.bucket_start, r.total, r.succeeded, r.failed, r.retries, r.latency_sum, r.latency_count),
      remove: (key) => removeBucket.run(...splitKey(key)),
    }, hold, true);
    return {
      apply(event) {
        if (!isMessageEvent(event)) return;
        const ref = refs.update(event.data.message_id, event, evolveMessageRef);
        const counted = countOf(event);
        if (ref === null || counted === null) return;
        buckets.update(bucketKey(ref.project_id, ref.endpoint_id, bucketOf(counted.at)), { ref, event }, evolveMetricsBucket);
      },
      discard() {
        refs.discard();
        buckets.discard();
      },
      flush() {
        refs.flush();
        buckets.flush();
      },
    };
  },
};

export interface MetricsQuery {
  readonly project_id: string;
  readonly endpoint_id?: string;
  readonly window: MetricWindow;
  /** The API's clock: the window ends now. */
  readonly nowMs: number;
}

/** GET /v1/metrics data (spec 4.2). success_rate = succeeded / total_messages (0 with no messages, at most 1). */
export interface MetricsSummary {
  readonly window: MetricWindow;
  readonly total_messages: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly retries: number;
  readonly success_rate: number;
  readonly avg_latency_ms: number;
}

/** One time-series bucket (spec 4.3); `retrying` counts retries scheduled in the bucket. */
export interface MetricsBucket {
  readonly timestamp: string;
  readonly succeeded: number;
  readonly failed: number;
  readonly retrying: number;
  readonly total: number;
  readonly avg_latency_ms: number;
}

export interface MetricsTimeseries {
  readonly window: MetricWindow;
  /** Oldest first; the last bucket is the one now falls in. */
  readonly buckets: MetricsBucket[];
}

export interface MetricsStore {
  summary(query: MetricsQuery): MetricsSummary;
  timeseries(query: MetricsQuery): MetricsTimeseries;
  count(): number;
}

interface Sums {
  total: number | null;
  succeeded: number | null;
  failed: number | null;
  retries: number | null;
  latency_sum: number | null;
  latency_count: number | null;
}

const avg = (sum: number | null, count: number | null): number => (count ? Math.round((sum ?? 0) / count) : 0);
const SUMS = 'sum(total) AS total, sum(succeeded) AS succeeded, sum(failed) AS failed, sum(retries) AS retries, sum(latency_sum) AS latency_sum, sum(latency_count) AS latency_count';

export function metricsStore(db: Database.Database): MetricsStore {
  const filter = (q: MetricsQuery) => (q.endpoint_id === undefined ? 'project_id = @project_id' : 'project_id = @project_id AND endpoint_id = @endpoint_id');
  const cache = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const params = (q: MetricsQuery, from: number, to: number, width = 0) => ({
    project_id: q.project_id, ...(q.endpoint_id === undefined ? {} : { endpoint_id: q.endpoint_id }), from, to, ...(width ? { width } : {}),
  });
  const count = db.prepare('SELECT count(*) FROM metrics_buckets').pluck();
  return {
    summary(q) {
      const to = Math.floor(q.nowMs / BUCKET_MS) * BUCKET_MS;
      const from = to - windowSpec[q.window].lengthMs;
      const s = prepared(`SELECT ${SUMS} FROM metrics_buckets WHERE ${filter(q)} AND bucket_start > @from AND bucket_start <= @to`).get(params(q, from, to)) as Sums;
      const total = s.total ?? 0;
      const succeeded = s.succeeded ?? 0;
      return {
        window: q.window, total_messages: total, succeeded, failed: s.failed ?? 0, retries: s.retries ?? 0,
        success_rate: total === 0 ? 0 : Math.min(1, succeeded / total), avg_latency_ms: avg(s.latency_sum, s.latency_count),
      };
    },
    timeseries(q) {
      const { lengthMs, bucketMs } = windowSpec[q.window];
      const last = Math.floor(q.nowMs / bucketMs) * bucketMs;
      const first = last - lengthMs + bucketMs;
      const rows = prepared(`SELECT CAST(bucket_start / @width AS INTEGER) * @width AS start, ${SUMS} FROM metrics_buckets
        WHERE ${filter(q)} AND bucket_start >= @from AND bucket_start < @to GROUP BY start`).all(params(q, first, last + bucketMs, bucketMs)) as (Sums & { start: number })[];
      const byStart = new Map(rows.map((r) => [r.start, r]));
      const buckets: MetricsBucket[] = [];
      for (let start = first; start <= last; start += bucketMs) {
        const r = byStart.get(start);
        buckets.push({
          timestamp: isoOf(start), succeeded: r?.succeeded ?? 0, failed: r?.failed ?? 0, retrying: r?.retries ?? 0,
          total: r?.total ?? 0, avg_latency_ms: avg(r?.latency_sum ?? null, r?.latency_count ?? null),
        });
      }
      return { window: q.window, buckets };
    },
    count: () => count.get() as number,
  };
}
