import type { ProjectEvent } from '../../domain/project/events.js';
import { ms } from '../projection.js';

/**
 * api-keys: keys by their SHA-256 (the key itself is never in the log), and the projects
 * they belong to. A deleted key keeps its row (deleted_at set) and is never found by hash.
 */
export interface ApiKeyRow {
  readonly key_id: string;
  readonly project_id: string;
  readonly prefix: string;
  readonly key_sha256: string;
  readonly label: string | null;
  /** ms epoch. */
  readonly created_at: number;
  readonly deleted_at: number | null;
}

export interface ProjectRow {
  readonly project_id: string;
  readonly name: string;
  readonly created_at: number;
}

export function evolveApiKeyRow(row: ApiKeyRow | null, event: ProjectEvent): ApiKeyRow | null {
  switch (event.type) {
    case 'ApiKeyCreated': {
      const d = event.data;
      return { key_id: d.key_id, project_id: d.project_id, prefix: d.prefix, key_sha256: d.key_sha256, label: d.label ?? null, created_at: ms(d.created_at), deleted_at: null };
    }
    case 'ApiKeyDeleted':
      return row && { ...row, deleted_at: ms(event.data.deleted_at) };
    case 'ProjectCreated':
      return row;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

export function evolveProjectRow(row: ProjectRow | null, event: ProjectEvent): ProjectRow | null {
  switch (event.type) {
    case 'ProjectCreated':
      return { project_id: event.data.project_id, name: event.data.name, created_at: ms(event.data.created_at) };
    case 'ApiKeyCreated':
    case 'ApiKeyDeleted':
      return row;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
