import type { ProjectEvent } from './events.js';

export interface ApiKeyRecord {
  readonly key_id: string;
  readonly prefix: string;
  readonly key_sha256: string;
  readonly label?: string;
  readonly created_at: string;
}

/** The project (tenant) state: its active API keys, by hash only. */
export interface ProjectState {
  readonly exists: boolean;
  readonly project_id: string;
  readonly name: string;
  readonly api_keys: readonly ApiKeyRecord[];
}

export const initialProjectState = (): ProjectState => ({ exists: false, project_id: '', name: '', api_keys: [] });

export function evolveProject(state: ProjectState, event: ProjectEvent): ProjectState {
  switch (event.type) {
    case 'ProjectCreated':
      return { ...state, exists: true, project_id: event.data.project_id, name: event.data.name };
    case 'ApiKeyCreated': {
      const { key_id, prefix, key_sha256, label, created_at } = event.data;
      return { ...state, api_keys: [...state.api_keys, { key_id, prefix, key_sha256, created_at, ...(label === undefined ? {} : { label }) }] };
    }
    case 'ApiKeyDeleted':
      return { ...state, api_keys: state.api_keys.filter((k) => k.key_id !== event.data.key_id) };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
