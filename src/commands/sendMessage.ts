import { DomainError } from '../domain/errors.js';
import { decodeIdempotencyEvent, idempotencyDecider, originalMessageId, type ClaimIdempotencyKey } from '../domain/idempotency/index.js';
import { decodeMessageEvent, messageDecider, type MessageDecider, type MessageState, type SendMessage } from '../domain/message/index.js';
import type { RetryPolicy } from '../domain/retryPolicy.js';
import { idempotencyStream, messageStream } from '../domain/streams.js';
import { WrongExpectedVersionError } from '../eventstore/errors.js';
import type { EventStore } from '../eventstore/port.js';
import { handleCommand, loadAggregate, type CommandMetadata } from './handle.js';

export interface SendResult {
  /** The new message's id, or the original one for an idempotent repeat. */
  readonly message_id: string;
  /** True when an earlier send with the same key already created the message. */
  readonly duplicate: boolean;
  readonly state: MessageState;
}

/**
 * Send, with an optional idempotency key (already hashed: sha256 hex, by the caller).
 * The claim is appended first, so of two concurrent sends with one key only one creates a
 * message; the other decides again against the winner's claim (retry-safe) and answers
 * with the original id, or IDEMPOTENCY_MISMATCH / IDEMPOTENCY_CONFLICT.
 * If a process died between the claim and the message, the repeat (same endpoint, same
 * payload bytes by hash) queues the message under the claimed id, so the key never points
 * at a message that does not exist for longer than one retry by the client.
 */
export async function sendMessage(
  store: EventStore,
  policy: RetryPolicy,
  command: SendMessage,
  keySha256: string | undefined,
  metadata: CommandMetadata,
): Promise<SendResult> {
  const decider = messageDecider(policy);
  if (keySha256 === undefined) return { message_id: command.message_id, duplicate: false, state: await queueMessage(store, decider, command, command.message_id, metadata) };
  const queue = (messageId: string): Promise<MessageState> => queueMessage(store, decider, command, messageId, metadata);

  const claim: ClaimIdempotencyKey = {
    type: 'ClaimIdempotencyKey', project_id: command.project_id, key_sha256: keySha256, message_id: command.message_id,
    endpoint_id: command.endpoint_id, payload_sha256: command.payload_sha256, now: command.now,
  };
  const claimed = await handleCommand({
    store, stream: idempotencyStream(command.project_id, keySha256), decider: idempotencyDecider, decode: decodeIdempotencyEvent,
    command: claim, metadata, retryOnConflict: true,
  });
  const messageId = originalMessageId(claimed.state, claim);
  if (claimed.events.length > 0) return { message_id: messageId, duplicate: false, state: await queue(messageId) };

  const original = await loadAggregate(store, messageStream(messageId), decider, decodeMessageEvent);
  if (original.state.status !== 'none') return { message_id: messageId, duplicate: true, state: original.state };
  try {
    return { message_id: messageId, duplicate: true, state: await queue(messageId) };
  } catch (error) {
    // Another repeat repaired it first.
    const lostRace = error instanceof WrongExpectedVersionError || (error instanceof DomainError && error.code === 'MESSAGE_ALREADY_EXISTS');
    if (!lostRace) throw error;
    const repaired = await loadAggregate(store, messageStream(messageId), decider, decodeMessageEvent);
    return { message_id: messageId, duplicate: true, state: repaired.state };
  }
}

async function queueMessage(
  store: EventStore,
  decider: MessageDecider,
  command: SendMessage,
  messageId: string,
  metadata: CommandMetadata,
): Promise<MessageState> {
  // The command's own id was generated for this send: nothing to read before writing it.
  const result = await handleCommand({
    store, stream: messageStream(messageId), decider, decode: decodeMessageEvent, command: messageId === command.message_id ? command : { ...command, message_id: messageId }, metadata,
    newStream: messageId === command.message_id,
  });
  return result.state;
}
