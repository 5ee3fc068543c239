import type Database from 'better-sqlite3';
import type { ApiKeyLookup, AuthContext } from '../../api/auth/apiKeys.js';
import type { AnyDomainEvent } from '../../domain/events.js';
import { projectEventSchemas, type ProjectEvent } from '../../domain/project/events.js';
import { isoOf, type Projection, type TableNames } from '../projection.js';
import { RowCache, type RowHold } from '../rowCache.js';
import { evolveApiKeyRow, evolveProjectRow, type ApiKeyRow, type ProjectRow } from './evolve.js';

export const apiKeysTable = {
  name: 'api_keys',
  create: (t: string) => [
    `CREATE TABLE IF NOT EXISTS ${t} (
      key_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, prefix TEXT NOT NULL, key_sha256 TEXT NOT NULL,
      label TEXT, created_at INTEGER NOT NULL, deleted_at INTEGER)`,
    `CREATE INDEX IF NOT EXISTS ${t}_hash ON ${t} (key_sha256)`,
    `CREATE INDEX IF NOT EXISTS ${t}_project ON ${t} (project_id, created_at)`,
  ],
};

export const projectsTable = {
  name: 'projects',
  create: (t: string) => [`CREATE TABLE IF NOT EXISTS ${t} (project_id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL)`],
};

const projectTypes: ReadonlySet<string> = new Set(Object.keys(projectEventSchemas));
const isProjectEvent = (event: AnyDomainEvent): event is ProjectEvent => projectTypes.has(event.type);

export const apiKeysProjection: Projection = {
  name: 'api-keys',
  tables: [apiKeysTable, projectsTable],
  writer(db: Database.Database, table: TableNames, hold?: RowHold) {
    const k = table('api_keys');
    const p = table('projects');
    const loadKey = db.prepare(`SELECT * FROM ${k} WHERE key_id = ?`);
    const saveKey = db.prepare(`INSERT OR REPLACE INTO ${k} (key_id, project_id, prefix, key_sha256, label, created_at, deleted_at)
      VALUES (@key_id, @project_id, @prefix, @key_sha256, @label, @created_at, @deleted_at)`);
    const removeKey = db.prepare(`DELETE FROM ${k} WHERE key_id = ?`);
    const loadProject = db.prepare(`SELECT * FROM ${p} WHERE project_id = ?`);
    const saveProject = db.prepare(`INSERT OR REPLACE INTO ${p} (project_id, name, created_at) VALUES (@project_id, @name, @created_at)`);
    const removeProject = db.prepare(`DELETE FROM ${p} WHERE project_id = ?`);
    const keys = new RowCache<ApiKeyRow>({
      load: (key) => (loadKey.get(key) as ApiKeyRow | undefined) ?? null,
      save: (_key, row) => saveKey.run(row),
      remove: (key) => removeKey.run(key),
    }, hold);
    const projects = new RowCache<ProjectRow>({
      load: (key) => (loadProject.get(key) as ProjectRow | undefined) ?? null,
      save: (_key, row) => saveProject.run(row),
      remove: (key) => removeProject.run(key),
    }, hold);
    return {
      apply(event) {
        if (!isProjectEvent(event)) return;
        if (event.type === 'ProjectCreated') projects.update(event.data.project_id, event, evolveProjectRow);
        else keys.update(event.data.key_id, event, evolveApiKeyRow);
      },
      discard() {
        keys.discard();
        projects.discard();
      },
      flush() {
        keys.flush();
        projects.flush();
      },
    };
  },
};

/** GET /v1/api-keys items (spec 6.8). */
export interface ApiKeySummary {
  readonly key_id: string;
  readonly label: string | null;
  readonly prefix: string;
  readonly created_at: string;
}

export interface ProjectView {
  readonly project_id: string;
  readonly name: string;
  readonly created_at: string;
}

export interface ApiKeysStore extends ApiKeyLookup {
  /** The live (not deleted) key with this SHA-256 hex, as auth needs it. */
  findByHash(hash: string): Promise<AuthContext | null>;
  /** The project's live keys, oldest first. */
  listApiKeys(project_id: string): ApiKeySummary[];
  getProject(project_id: string): ProjectView | null;
  countProjects(): number;
  count(): number;
}

export function apiKeysStore(db: Database.Database): ApiKeysStore {
  const byHash = db.prepare('SELECT project_id, key_id FROM api_keys WHERE key_sha256 = ? AND deleted_at IS NULL LIMIT 1');
  const list = db.prepare('SELECT * FROM api_keys WHERE project_id = ? AND deleted_at IS NULL ORDER BY created_at, key_id');
  const project = db.prepare('SELECT * FROM projects WHERE project_id = ?');
  const projects = db.prepare('SELECT count(*) FROM projects').pluck();
  const count = db.prepare('SELECT count(*) FROM api_keys').pluck();
  return {
    findByHash: async (hash) => (byHash.get(hash) as AuthContext | undefined) ?? null,
    listApiKeys: (project_id) =>
      (list.all(project_id) as ApiKeyRow[]).map((r) => ({ key_id: r.key_id, label: r.label, prefix: r.prefix, created_at: isoOf(r.created_at) })),
    getProject(project_id) {
      const r = project.get(project_id) as ProjectRow | undefined;
      return r ? { project_id: r.project_id, name: r.name, created_at: isoOf(r.created_at) } : null;
    },
    countProjects: () => projects.get() as number,
    count: () => count.get() as number,
  };
}
