import {
  DomainError,
  decodeEndpointEvent,
  endpointDecider,
  endpointStream,
  streamPrefix,
  type EndpointCommand,
  type EndpointEvent,
  type EndpointState,
} from '../domain/index.js';
import type { EventStore, RecordedEvent } from '../eventstore/port.js';
import { handleCommand, type CommandMetadata } from './handle.js';
import { newEndpointId, newSigningKeyId, newSigningSecret } from './ids.js';

/** Endpoint use-cases behind the API: create (secret shown once), change, and read views. */

export interface EndpointSettings {
  readonly url: string;
  readonly description: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly rate_limit_rps: number;
  readonly burst: number;
}

/** The endpoint as GET shows it: never a secret. */
export interface EndpointView {
  id: string;
  url: string;
  description: string;
  rate_limit_rps: number;
  burst: number;
  headers: Record<string, string>;
  paused: boolean;
  created_at: string;
  updated_at: string;
}

export interface SigningKeyView {
  id: string;
  key_hint: string;
  created_at: string;
}

export interface EndpointRecord {
  readonly state: EndpointState;
  readonly view: EndpointView;
  readonly signing_keys: SigningKeyView[];
  readonly revision: bigint;
}

const hintOf = (secret: string): string => secret.slice(-4);

function eventTime(event: EndpointEvent): string {
  switch (event.type) {
    case 'EndpointCreated':
      return event.data.created_at;
    case 'EndpointUpdated':
      return event.data.updated_at;
    case 'EndpointPaused':
      return event.data.paused_at;
    case 'EndpointResumed':
      return event.data.resumed_at;
    case 'EndpointDeleted':
      return event.data.deleted_at;
    case 'SigningKeyCreated':
      return event.data.signing_key.created_at;
    case 'SigningKeyDeleted':
      return event.data.deleted_at;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** Folds one endpoint stream into the domain state plus the times callers see. */
export function endpointRecord(recorded: readonly RecordedEvent[]): EndpointRecord | null {
  let state = endpointDecider.initialState();
  let created_at = '';
  let updated_at = '';
  for (const r of recorded) {
    const event = decodeEndpointEvent(r);
    state = endpointDecider.evolve(state, event);
    if (event.type === 'EndpointCreated') created_at = event.data.created_at;
    updated_at = eventTime(event);
  }
  const last = recorded.at(-1);
  if (!state.exists || last === undefined) return null;
  return {
    state,
    revision: last.revision,
    view: {
      id: state.endpoint_id,
      url: state.url,
      description: state.description,
      rate_limit_rps: state.rate_limit_rps,
      burst: state.burst,
      headers: { ...state.headers },
      paused: state.paused,
      created_at,
      updated_at,
    },
    signing_keys: state.signing_keys.map((k) => ({ id: k.key_id, key_hint: k.key_hint, created_at: k.created_at })),
  };
}

export const endpointNotFound = (): DomainError => new DomainError('NOT_FOUND', 'Endpoint not found', 404);

/** The caller's live endpoint, or 404 (missing, deleted, or another project's: all alike). */
export async function readOwnEndpoint(store: EventStore, endpointId: string, projectId: string): Promise<EndpointRecord> {
  const record = endpointRecord(await store.readStream(endpointStream(endpointId)));
  if (record === null || record.state.deleted || record.state.project_id !== projectId) throw endpointNotFound();
  return record;
}

/**
 * Every live endpoint of a project, folded from the log (the endpoint category, read in
 * pages). The list and DUPLICATE_URL use the endpoints read model when it is wired; this is
 * the fallback that is always right, at the cost of reading every endpoint event.
 */
export async function scanProjectEndpoints(store: EventStore, projectId: string): Promise<EndpointRecord[]> {
  const byStream = new Map<string, RecordedEvent[]>();
  let from: bigint | 'start' = 'start';
  for (;;) {
    const page = await store.readAll({ fromPosition: from, maxCount: 1000, prefixes: [streamPrefix.endpoint] });
    for (const r of page) {
      const list = byStream.get(r.stream);
      if (list === undefined) byStream.set(r.stream, [r]);
      else list.push(r);
    }
    const last = page.at(-1);
    if (last === undefined || page.length < 1000) break;
    from = last.position;
  }
  const records: EndpointRecord[] = [];
  for (const events of byStream.values()) {
    const record = endpointRecord(events);
    if (record !== null && !record.state.deleted && record.state.project_id === projectId) records.push(record);
  }
  return records.sort((a, b) => (a.view.created_at < b.view.created_at ? -1 : a.view.created_at > b.view.created_at ? 1 : a.view.id < b.view.id ? -1 : 1));
}

export interface CreatedEndpoint {
  id: string;
  url: string;
  description: string;
  signing_key_id: string;
  signing_secret: string;
  key_hint: string;
  created_at: string;
}

export async function createEndpoint(
  store: EventStore,
  input: EndpointSettings & { readonly project_id: string; readonly now: Date; readonly metadata: CommandMetadata },
): Promise<CreatedEndpoint> {
  const endpoint_id = newEndpointId();
  const secret = newSigningSecret();
  const key_id = newSigningKeyId();
  const now = input.now.toISOString();
  await handleCommand({
    store,
    stream: endpointStream(endpoint_id),
    decider: endpointDecider,
    decode: decodeEndpointEvent,
    command: {
      type: 'CreateEndpoint',
      endpoint_id,
      project_id: input.project_id,
      url: input.url,
      description: input.description,
      headers: { ...input.headers },
      rate_limit_rps: input.rate_limit_rps,
      burst: input.burst,
      signing_key: { key_id, secret, key_hint: hintOf(secret) },
      now,
    },
    metadata: input.metadata,
  });
  return { id: endpoint_id, url: input.url, description: input.description, signing_key_id: key_id, signing_secret: secret, key_hint: hintOf(secret), created_at: now };
}

type ScopedCommand = Exclude<EndpointCommand, { type: 'CreateEndpoint' }>;
type Without<C> = C extends unknown ? Omit<C, 'endpoint_id' | 'project_id' | 'now'> : never;

/** Any change to an existing endpoint, scoped to the caller's project; re-decided on a conflict. */
export async function changeEndpoint(
  store: EventStore,
  input: { readonly endpoint_id: string; readonly project_id: string; readonly now: Date; readonly metadata: CommandMetadata; readonly command: Without<ScopedCommand> },
): Promise<{ state: EndpointState; appended: number }> {
  const command = { ...input.command, endpoint_id: input.endpoint_id, project_id: input.project_id, now: input.now.toISOString() } as ScopedCommand;
  const result = await handleCommand({
    store,
    stream: endpointStream(input.endpoint_id),
    decider: endpointDecider,
    decode: decodeEndpointEvent,
    command,
    metadata: input.metadata,
    retryOnConflict: true,
  });
  return { state: result.state, appended: result.events.length };
}

/** A new signing key for rotation; its secret is returned once. */
export async function createSigningKey(
  store: EventStore,
  input: { readonly endpoint_id: string; readonly project_id: string; readonly now: Date; readonly metadata: CommandMetadata },
): Promise<{ id: string; signing_secret: string; key_hint: string; created_at: string }> {
  const secret = newSigningSecret();
  const key_id = newSigningKeyId();
  await changeEndpoint(store, { ...input, command: { type: 'CreateSigningKey', signing_key: { key_id, secret, key_hint: hintOf(secret) } } });
  return { id: key_id, signing_secret: secret, key_hint: hintOf(secret), created_at: input.now.toISOString() };
}
