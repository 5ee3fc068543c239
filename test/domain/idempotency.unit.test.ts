import { describe, expect, it } from 'vitest';
import { idempotencyDecider, originalMessageId, type ClaimIdempotencyKey, type IdempotencyEvent, type IdempotencyState } from '../../src/domain/idempotency/index.js';
import { specFor } from './support/spec.js';

const given = specFor<ClaimIdempotencyKey, IdempotencyEvent, IdempotencyState>(idempotencyDecider);
const T = '2026-01-01T00:00:00.000Z';
const claim: ClaimIdempotencyKey = {
  type: 'ClaimIdempotencyKey', project_id: 'proj_1', key_sha256: 'd'.repeat(64), message_id: 'm1', endpoint_id: 'ep_1', payload_sha256: 'e'.repeat(64), now: T,
};
const claimed: IdempotencyEvent = {
  type: 'IdempotencyKeyClaimed',
  data: { v: 1, project_id: 'proj_1', key_sha256: 'd'.repeat(64), message_id: 'm1', endpoint_id: 'ep_1', payload_sha256: 'e'.repeat(64), claimed_at: T },
};

describe('idempotency key', () => {
  it('is claimed by the first send', () => given([]).when(claim).then([claimed]));
  it('a repeat with the same endpoint and payload writes nothing and answers the original message id', () => {
    const repeat = { ...claim, message_id: 'm2' };
    given([claimed]).when(repeat).then([]);
    expect(originalMessageId(idempotencyDecider.evolve(idempotencyDecider.initialState(), claimed), repeat)).toBe('m1');
  });
  it('a different payload is a mismatch', () =>
    given([claimed]).when({ ...claim, message_id: 'm2', payload_sha256: 'f'.repeat(64) }).thenRefuses({ code: 'IDEMPOTENCY_MISMATCH', status: 409 }));
  it('a different endpoint is a conflict, whatever the payload', () => {
    given([claimed]).when({ ...claim, endpoint_id: 'ep_2' }).thenRefuses({ code: 'IDEMPOTENCY_CONFLICT', status: 409 });
    given([claimed]).when({ ...claim, endpoint_id: 'ep_2', payload_sha256: 'f'.repeat(64) }).thenRefuses({ code: 'IDEMPOTENCY_CONFLICT', status: 409 });
  });
});
