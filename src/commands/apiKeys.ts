import { DomainError, decodeProjectEvent, decideProject, projectDecider, projectStream, type ProjectCommand, type ProjectState } from '../domain/index.js';
import type { EventStore } from '../eventstore/port.js';
import { handleCommand, loadAggregate, type CommandMetadata } from './handle.js';

/** API key use-cases the API adds to src/commands/projects.ts (which creates keys). */

export interface ApiKeySummary {
  key_id: string;
  prefix: string;
  label?: string;
  created_at: string;
}

/** The project's live keys from its aggregate: never a hash, never a key. */
export async function listApiKeys(store: EventStore, projectId: string): Promise<ApiKeySummary[]> {
  const loaded = await loadAggregate(store, projectStream(projectId), projectDecider, decodeProjectEvent);
  return loaded.state.api_keys.map((k) => ({ key_id: k.key_id, prefix: k.prefix, ...(k.label === undefined ? {} : { label: k.label }), created_at: k.created_at }));
}

/**
 * Deletes a key. The project's last key is kept (409): deleting it would lock the project
 * out of its own API, and only the ops CLI could mint a new one. Checked inside the
 * decision, so two concurrent deletes of the last two keys cannot both pass.
 */
const keepLastKey = {
  ...projectDecider,
  decide(command: ProjectCommand, state: ProjectState) {
    if (command.type === 'DeleteApiKey' && state.api_keys.length === 1 && state.api_keys[0]?.key_id === command.key_id) {
      throw new DomainError('CANNOT_DELETE_LAST_API_KEY', "Cannot delete the project's last API key", 409);
    }
    return decideProject(command, state);
  },
};

export async function deleteApiKey(store: EventStore, input: { readonly project_id: string; readonly key_id: string; readonly now: Date; readonly metadata: CommandMetadata }): Promise<void> {
  await handleCommand({
    store,
    stream: projectStream(input.project_id),
    decider: keepLastKey,
    decode: decodeProjectEvent,
    command: { type: 'DeleteApiKey', key_id: input.key_id, now: input.now.toISOString() },
    metadata: input.metadata,
    retryOnConflict: true,
  });
}
