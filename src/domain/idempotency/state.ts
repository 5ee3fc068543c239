import type { IdempotencyEvent } from './events.js';

/** Who holds the key: null until the first send claims it. */
export interface IdempotencyState {
  readonly claim: { readonly message_id: string; readonly endpoint_id: string; readonly payload_sha256: string } | null;
}

export const initialIdempotencyState = (): IdempotencyState => ({ claim: null });

export function evolveIdempotency(state: IdempotencyState, event: IdempotencyEvent): IdempotencyState {
  switch (event.type) {
    case 'IdempotencyKeyClaimed': {
      // First claim wins: the stream is appended with expected revision no_stream, so a
      // second claim event should never exist; if one does, it must not move the key.
      if (state.claim !== null) return state;
      const { message_id, endpoint_id, payload_sha256 } = event.data;
      return { claim: { message_id, endpoint_id, payload_sha256 } };
    }
    default: {
      const unreachable: never = event.type;
      return unreachable;
    }
  }
}
