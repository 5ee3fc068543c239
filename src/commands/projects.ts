import { apiKeyPrefix, decodeProjectEvent, projectDecider, projectStream } from '../domain/index.js';
import type { EventStore } from '../eventstore/port.js';
import { handleCommand, loadAggregate } from './handle.js';
import { hashApiKey } from './hashApiKey.js';
import { newApiKey, newApiKeyId, newProjectId } from './ids.js';

/** Use-cases of the project aggregate shared by the API, the ops CLI and start-up. */

export interface CreatedApiKey {
  readonly key_id: string;
  /** The whole key: shown to its creator once, never stored. */
  readonly key: string;
  readonly prefix: string;
  readonly label?: string;
  readonly created_at: string;
}

export interface CreateApiKeyInput {
  readonly project_id: string;
  readonly label?: string;
  /** Use this key instead of minting one (BOOTSTRAP_API_KEY). */
  readonly key?: string;
  readonly now: string;
  readonly actor: string;
  readonly request_id?: string;
}

export async function createApiKey(store: EventStore, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  const key = input.key ?? newApiKey();
  const key_id = newApiKeyId();
  const prefix = apiKeyPrefix(key);
  await handleCommand({
    store,
    stream: projectStream(input.project_id),
    decider: projectDecider,
    decode: decodeProjectEvent,
    command: { type: 'CreateApiKey', key_id, prefix, key_sha256: hashApiKey(key), now: input.now, ...(input.label === undefined ? {} : { label: input.label }) },
    metadata: { actor: input.actor, ...(input.request_id === undefined ? {} : { request_id: input.request_id }) },
    // A new key never clashes with a concurrent change: deciding again is safe.
    retryOnConflict: true,
  });
  return { key_id, key, prefix, created_at: input.now, ...(input.label === undefined ? {} : { label: input.label }) };
}

export interface CreatedProject {
  readonly project_id: string;
  readonly name: string;
  readonly api_key: CreatedApiKey;
}

export async function createProject(
  store: EventStore,
  input: { readonly name: string; readonly project_id?: string; readonly key?: string; readonly now: string; readonly actor: string },
): Promise<CreatedProject> {
  const project_id = input.project_id ?? newProjectId();
  await handleCommand({
    store,
    stream: projectStream(project_id),
    decider: projectDecider,
    decode: decodeProjectEvent,
    command: { type: 'CreateProject', project_id, name: input.name, now: input.now },
    metadata: { actor: input.actor },
  });
  const api_key = await createApiKey(store, { project_id, label: 'default', now: input.now, actor: input.actor, ...(input.key === undefined ? {} : { key: input.key }) });
  return { project_id, name: input.name, api_key };
}

/** The project an empty store starts with, so `npm start` is usable at once. */
export const DEFAULT_PROJECT_ID = 'proj_default';

export type BootstrapResult =
  | { readonly kind: 'created'; readonly project: CreatedProject }
  | { readonly kind: 'key_added'; readonly api_key: CreatedApiKey }
  | { readonly kind: 'unchanged' };

/**
 * Makes sure the default project exists, and that `key` (BOOTSTRAP_API_KEY) opens it when
 * given. Safe to run from several instances at once: the project stream is created with
 * expected revision no_stream, so exactly one creation wins.
 */
export async function bootstrapDefaultProject(store: EventStore, options: { readonly key?: string; readonly now: string }): Promise<BootstrapResult> {
  const actor = 'ops:bootstrap';
  const loaded = await loadAggregate(store, projectStream(DEFAULT_PROJECT_ID), projectDecider, decodeProjectEvent);
  if (!loaded.state.exists) {
    try {
      const project = await createProject(store, { name: 'default', project_id: DEFAULT_PROJECT_ID, now: options.now, actor, ...(options.key === undefined ? {} : { key: options.key }) });
      return { kind: 'created', project };
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'PROJECT_ALREADY_EXISTS')) throw error;
      return bootstrapDefaultProject(store, options);
    }
  }
  if (options.key === undefined) return { kind: 'unchanged' };
  const hash = hashApiKey(options.key);
  if (loaded.state.api_keys.some((k) => k.key_sha256 === hash)) return { kind: 'unchanged' };
  const api_key = await createApiKey(store, { project_id: DEFAULT_PROJECT_ID, key: options.key, label: 'bootstrap', now: options.now, actor });
  return { kind: 'key_added', api_key };
}
