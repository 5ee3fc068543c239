import { hash } from 'node:crypto';
import {
  DomainError,
  decodeEndpointEvent,
  decodeMessageEvent,
  endpointDecider,
  endpointStream,
  initialMessageState,
  messageDecider,
  messageNotFound,
  messageStream,
  type MessageCommand,
  type SendMessage,
  type MessageState,
  type RetryPolicy,
} from '../domain/index.js';
import { MAX_APPEND_BYTES, type EventStore } from '../eventstore/port.js';
import { handleCommand, loadAggregate, toEventsToAppend, type CommandMetadata } from './handle.js';
import { newUuidV7 } from './ids.js';
import { jsonBytesBound } from './jsonBytesBound.js';
import { sendMessage as sendIdempotently } from './sendMessage.js';

/** Message use-cases behind the API: send (with idempotency) and the caller's actions on one message. */

// One-shot hashing (no Hash object per call); strings are hashed as UTF-8.
const sha256 = (text: string): string => hash('sha256', text, 'hex');

export interface SendInput {
  readonly project_id: string;
  readonly endpoint_id: string;
  /** The payload's JSON text exactly as it will be delivered. */
  readonly payload: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly idempotency_key?: string;
  readonly retention_hours?: number;
  readonly now: Date;
  readonly metadata: CommandMetadata;
}

export interface SendResult {
  readonly message_id: string;
  readonly status: Exclude<MessageState['status'], 'none'>;
  /** False when an idempotency key answered with an earlier send's message. */
  readonly created: boolean;
}

/** The reference's refusal for an unknown, deleted or other project's endpoint on send. */
export const sendEndpointNotFound = (): DomainError => new DomainError('ENDPOINT_NOT_FOUND', 'endpoint not found', 400);

/**
 * Queues one message for one of the caller's live endpoints. Idempotency (claim the key,
 * then write the message; repair a claim whose message was never written) is
 * src/commands/sendMessage.ts; this adds what the API checks first, so a refused send
 * writes nothing, not even a claim.
 */
export async function sendWebhook(store: EventStore, policy: RetryPolicy, input: SendInput): Promise<SendResult> {
  const endpoint = await loadAggregate(store, endpointStream(input.endpoint_id), endpointDecider, decodeEndpointEvent);
  if (!endpoint.state.exists || endpoint.state.deleted || endpoint.state.project_id !== input.project_id) throw sendEndpointNotFound();
  const command: SendMessage = {
    type: 'SendMessage',
    message_id: newUuidV7(input.now.getTime()),
    project_id: input.project_id,
    endpoint_id: input.endpoint_id,
    payload: input.payload,
    payload_sha256: sha256(input.payload),
    size_bytes: Buffer.byteLength(input.payload, 'utf8'),
    content_type: 'application/json',
    headers: input.headers,
    ...(input.idempotency_key === undefined ? {} : { idempotency_key: input.idempotency_key }),
    ...(input.retention_hours === undefined ? {} : { retention_hours: input.retention_hours }),
    now: input.now.toISOString(),
  };
  assertFitsOneAppend(policy, command, input.metadata);
  const keySha256 = input.idempotency_key === undefined ? undefined : sha256(input.idempotency_key);
  const result = await sendIdempotently(store, policy, command, keySha256, input.metadata);
  return { message_id: result.message_id, status: statusOf(result.state), created: !result.duplicate };
}

/**
 * The payload travels as a JSON string inside the MessageQueued event, so quotes and
 * backslashes are escaped and the event can outgrow the store's 1 MiB append limit even when
 * the payload is under 1 MB. Checked before anything is written (an idempotency claim
 * included), and refused the way the reference refuses a large payload.
 */
function assertFitsOneAppend(policy: RetryPolicy, command: MessageCommand, metadata: CommandMetadata): void {
  // Event ids are not measured (only data and metadata count), so none are generated here.
  const events = toEventsToAppend(messageDecider(policy).decide(command, initialMessageState()), metadata, () => '');
  // Most sends are far below the limit: an upper bound that fits settles it without
  // serialising the payload a second time (the store serialises it to write it).
  const bound = events.reduce((sum, e) => sum + jsonBytesBound(e.data) + jsonBytesBound(e.metadata), 0);
  if (bound <= MAX_APPEND_BYTES) return;
  const bytes = events.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e.data), 'utf8') + Buffer.byteLength(JSON.stringify(e.metadata), 'utf8'), 0);
  if (bytes > MAX_APPEND_BYTES) {
    throw new DomainError('PAYLOAD_TOO_LARGE', 'payload exceeds the 1 MB limit once stored (JSON escaping included)', 400, { limit_bytes: MAX_APPEND_BYTES, stored_bytes: bytes });
  }
}

function statusOf(state: MessageState): SendResult['status'] {
  if (state.status === 'none') throw new Error('message stream is empty after a send');
  return state.status;
}

export type MessageAction = 'RetryNow' | 'CancelRetry' | 'ReplayMessage' | 'ReplayFromDlq';

/**
 * One of the caller's actions on a message, scoped to the caller's project (another
 * project's message is "Message not found"). Deciding again after a conflicting append is
 * safe for all four: the decision is re-made against the newer state (retry-now then sees
 * its own expedite and writes nothing; a cancel racing an attempt start is refused).
 */
export async function actOnMessage(
  store: EventStore,
  policy: RetryPolicy,
  input: { readonly message_id: string; readonly project_id: string; readonly action: MessageAction; readonly now: Date; readonly metadata: CommandMetadata },
): Promise<{ readonly state: MessageState; readonly appended: number }> {
  const command = { type: input.action, project_id: input.project_id, now: input.now.toISOString() } as MessageCommand;
  const result = await handleCommand({
    store,
    stream: messageStream(input.message_id),
    decider: messageDecider(policy),
    decode: decodeMessageEvent,
    command,
    metadata: input.metadata,
    retryOnConflict: true,
    maxTries: 10,
  });
  return { state: result.state, appended: result.events.length };
}

/** The message's recorded events, or NOT_FOUND when it does not exist or belongs to another project. */
export async function readOwnMessage(store: EventStore, messageId: string, projectId: string) {
  const recorded = await store.readStream(messageStream(messageId));
  const first = recorded[0];
  if (first === undefined) throw messageNotFound();
  const queued = decodeMessageEvent(first);
  if (queued.type !== 'MessageQueued' || queued.data.project_id !== projectId) throw messageNotFound();
  return recorded;
}
