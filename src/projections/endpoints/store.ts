import type Database from 'better-sqlite3';
import { endpointEventSchemas, type EndpointEvent } from '../../domain/endpoint/events.js';
import type { AnyDomainEvent } from '../../domain/events.js';
import { decodeCursor, InvalidCursorError, toPage, type Page } from '../cursor.js';
import { isoOf, type Projection, type TableNames } from '../projection.js';
import { RowCache, type RowHold } from '../rowCache.js';
import { evolveEndpointRow, type EndpointRow } from './evolve.js';

export const endpointsTable = {
  name: 'endpoints',
  create: (t: string) => [
    `CREATE TABLE IF NOT EXISTS ${t} (
      endpoint_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, url TEXT NOT NULL, description TEXT NOT NULL,
      paused INTEGER NOT NULL, rate_limit_rps INTEGER NOT NULL, burst INTEGER NOT NULL, headers TEXT NOT NULL,
      deleted INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${t}_project ON ${t} (project_id, created_at DESC, endpoint_id DESC)`,
  ],
};

interface SqlRow extends Omit<EndpointRow, 'paused' | 'deleted' | 'headers'> {
  paused: number;
  deleted: number;
  headers: string;
}
const fromSql = (r: SqlRow): EndpointRow => ({ ...r, paused: r.paused === 1, deleted: r.deleted === 1, headers: JSON.parse(r.headers) as Record<string, string> });

const endpointTypes: ReadonlySet<string> = new Set(Object.keys(endpointEventSchemas));
const isEndpointEvent = (event: AnyDomainEvent): event is EndpointEvent => endpointTypes.has(event.type);

export const endpointsProjection: Projection = {
  name: 'endpoints',
  tables: [endpointsTable],
  writer(db: Database.Database, table: TableNames, hold?: RowHold) {
    const t = table('endpoints');
    const load = db.prepare(`SELECT * FROM ${t} WHERE endpoint_id = ?`);
    const save = db.prepare(`INSERT OR REPLACE INTO ${t} (endpoint_id, project_id, url, description, paused, rate_limit_rps, burst, headers, deleted, created_at, updated_at)
      VALUES (@endpoint_id, @project_id, @url, @description, @paused, @rate_limit_rps, @burst, @headers, @deleted, @created_at, @updated_at)`);
    const remove = db.prepare(`DELETE FROM ${t} WHERE endpoint_id = ?`);
    const rows = new RowCache<EndpointRow>({
      load: (key) => {
        const r = load.get(key) as SqlRow | undefined;
        return r ? fromSql(r) : null;
      },
      save: (_key, row) => save.run({ ...row, paused: row.paused ? 1 : 0, deleted: row.deleted ? 1 : 0, headers: JSON.stringify(row.headers) }),
      remove: (key) => remove.run(key),
    }, hold);
    return {
      apply(event) {
        if (isEndpointEvent(event)) rows.update(event.data.endpoint_id, event, evolveEndpointRow);
      },
      discard() {
        rows.discard();
      },
      flush: () => rows.flush(),
    };
  },
};

/** GET /v1/endpoints items (spec 6.2 summary shape). */
export interface EndpointSummary {
  readonly id: string;
  readonly url: string;
  readonly description: string;
  readonly paused: boolean;
  readonly created_at: string;
}

/** GET /v1/endpoints/{id} (spec 6.3) plus project_id and deleted for the route's 404 decision. */
export interface EndpointView extends EndpointSummary {
  readonly project_id: string;
  readonly rate_limit_rps: number;
  readonly burst: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly deleted: boolean;
  readonly updated_at: string;
}

export interface EndpointsStore {
  /** The project's endpoints that are not deleted, newest first. Throws InvalidCursorError on a foreign cursor. */
  listEndpoints(project_id: string, limit: number, cursor?: string): Page<EndpointSummary>;
  /** Any endpoint, deleted ones included (deleted: true); null when unknown. */
  getEndpoint(endpoint_id: string): EndpointView | null;
  count(): number;
}

const toView = (r: EndpointRow): EndpointView => ({
  id: r.endpoint_id, project_id: r.project_id, url: r.url, description: r.description, paused: r.paused,
  rate_limit_rps: r.rate_limit_rps, burst: r.burst, headers: r.headers, deleted: r.deleted,
  created_at: isoOf(r.created_at), updated_at: isoOf(r.updated_at),
});

export function endpointsStore(db: Database.Database): EndpointsStore {
  const first = db.prepare('SELECT * FROM endpoints WHERE project_id = ? AND deleted = 0 ORDER BY created_at DESC, endpoint_id DESC LIMIT ?');
  const after = db.prepare(`SELECT * FROM endpoints WHERE project_id = ? AND deleted = 0
    AND (created_at < ? OR (created_at = ? AND endpoint_id < ?)) ORDER BY created_at DESC, endpoint_id DESC LIMIT ?`);
  const one = db.prepare('SELECT * FROM endpoints WHERE endpoint_id = ?');
  const count = db.prepare('SELECT count(*) FROM endpoints').pluck();
  return {
    listEndpoints(project_id, limit, cursor) {
      let rows: SqlRow[];
      if (cursor === undefined) rows = first.all(project_id, limit + 1) as SqlRow[];
      else {
        const key = decodeCursor(cursor);
        if (key === null) throw new InvalidCursorError();
        rows = after.all(project_id, key.ts, key.ts, key.id, limit + 1) as SqlRow[];
      }
      return toPage(rows, limit, (r) => ({ ts: r.created_at, id: r.endpoint_id }), (r) => ({
        id: r.endpoint_id, url: r.url, description: r.description, paused: r.paused === 1, created_at: isoOf(r.created_at),
      }));
    },
    getEndpoint(endpoint_id) {
      const r = one.get(endpoint_id) as SqlRow | undefined;
      return r ? toView(fromSql(r)) : null;
    },
    count: () => count.get() as number,
  };
}
