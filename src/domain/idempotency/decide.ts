import { DomainError } from '../errors.js';
import type { IdempotencyEvent } from './events.js';
import type { IdempotencyState } from './state.js';

/**
 * Sending with an idempotency key claims `idempotency-<proj_id>-<sha256(key)>` for one
 * message. Our reading of the reference (it is silent on the details):
 * - the key is scoped per project (the stream name carries the project);
 * - same key, same endpoint, same payload (compared by payload_sha256; custom headers and
 *   retention_hours do not take part): no new event; the caller answers with the ORIGINAL
 *   message id, found in the state's claim (see `originalMessageId`);
 * - same key, different endpoint: IDEMPOTENCY_CONFLICT 409 (the "conflicting request" of
 *   the reference), checked first, whatever the payload;
 * - same key, same endpoint, different payload: IDEMPOTENCY_MISMATCH 409;
 * - the key never expires (the reference states no TTL).
 * The API appends the claim before MessageQueued; a conflict on the claim stream means a
 * concurrent send won it, and deciding again against the reloaded claim is safe.
 */
export type ClaimIdempotencyKey = {
  readonly type: 'ClaimIdempotencyKey';
  readonly project_id: string;
  readonly key_sha256: string;
  readonly message_id: string;
  readonly endpoint_id: string;
  readonly payload_sha256: string;
  readonly now: string;
};
export type IdempotencyCommand = ClaimIdempotencyKey;

export function decideIdempotency(command: IdempotencyCommand, state: IdempotencyState): IdempotencyEvent[] {
  const { claim } = state;
  if (claim === null) {
    const { project_id, key_sha256, message_id, endpoint_id, payload_sha256, now } = command;
    return [{ type: 'IdempotencyKeyClaimed', data: { v: 1, project_id, key_sha256, message_id, endpoint_id, payload_sha256, claimed_at: now } }];
  }
  if (claim.endpoint_id !== command.endpoint_id) {
    throw new DomainError('IDEMPOTENCY_CONFLICT', 'Idempotency key was already used for a different endpoint', 409);
  }
  if (claim.payload_sha256 !== command.payload_sha256) {
    throw new DomainError('IDEMPOTENCY_MISMATCH', 'Idempotency key was already used with a different payload', 409);
  }
  return [];
}

/** After deciding: the message id the send should answer with (the original one on a repeat). */
export const originalMessageId = (state: IdempotencyState, command: ClaimIdempotencyKey): string =>
  state.claim?.message_id ?? command.message_id;
