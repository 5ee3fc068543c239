import { DomainError, notFound } from '../errors.js';
import { API_KEY_PREFIX_LENGTH, type ProjectEvent } from './events.js';
import type { ProjectState } from './state.js';

/**
 * The project decider. The API generates the key, shows it once, and hands the domain only
 * its id, display prefix (first 11 characters) and SHA-256: the key never reaches an event.
 */
type Now = { readonly now: string };

export type CreateProject = Now & { readonly type: 'CreateProject'; readonly project_id: string; readonly name: string };
export type CreateApiKey = Now & {
  readonly type: 'CreateApiKey';
  readonly key_id: string;
  readonly prefix: string;
  readonly key_sha256: string;
  readonly label?: string;
};
export type DeleteApiKey = Now & { readonly type: 'DeleteApiKey'; readonly key_id: string };
export type ProjectCommand = CreateProject | CreateApiKey | DeleteApiKey;

export const projectNotFound = (): DomainError => notFound('Project');

/** The display prefix of an API key: its first 11 characters. */
export const apiKeyPrefix = (key: string): string => key.slice(0, API_KEY_PREFIX_LENGTH);

function existing(state: ProjectState): ProjectState {
  if (!state.exists) throw projectNotFound();
  return state;
}

export function decideProject(command: ProjectCommand, state: ProjectState): ProjectEvent[] {
  switch (command.type) {
    case 'CreateProject':
      if (state.exists) throw new DomainError('PROJECT_ALREADY_EXISTS', `Project ${command.project_id} already exists`, 409);
      return [{ type: 'ProjectCreated', data: { v: 1, project_id: command.project_id, name: command.name, created_at: command.now } }];
    case 'CreateApiKey': {
      const project = existing(state);
      if (!/^[0-9a-f]{64}$/.test(command.key_sha256)) throw new DomainError('INVALID_REQUEST', 'key_sha256 must be a lowercase hex SHA-256', 400);
      if (command.prefix.length === 0 || command.prefix.length > API_KEY_PREFIX_LENGTH) {
        throw new DomainError('INVALID_REQUEST', `prefix must be 1 to ${API_KEY_PREFIX_LENGTH} characters`, 400);
      }
      if (project.api_keys.some((k) => k.key_id === command.key_id || k.key_sha256 === command.key_sha256)) {
        throw new DomainError('API_KEY_ALREADY_EXISTS', 'API key already exists', 409);
      }
      const { key_id, prefix, key_sha256, label, now } = command;
      return [
        { type: 'ApiKeyCreated', data: { v: 1, project_id: project.project_id, key_id, prefix, key_sha256, ...(label === undefined ? {} : { label }), created_at: now } },
      ];
    }
    case 'DeleteApiKey': {
      const project = existing(state);
      if (!project.api_keys.some((k) => k.key_id === command.key_id)) throw notFound('API key');
      return [{ type: 'ApiKeyDeleted', data: { v: 1, project_id: project.project_id, key_id: command.key_id, deleted_at: command.now } }];
    }
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}
