import { z } from 'zod';
import { isoTime, makeDecoder, sha256Hex, type EventsOf } from '../schema.js';

/**
 * The idempotency claim (stream `idempotency-<proj_id>-<sha256(key)>`): the first send with
 * a key claims it for one message; later sends with the same key are judged against it.
 */
const v1 = z.literal(1);

export const idempotencyEventSchemas = {
  IdempotencyKeyClaimed: z.object({
    v: v1,
    project_id: z.string().min(1),
    key_sha256: sha256Hex,
    message_id: z.string().min(1),
    endpoint_id: z.string().min(1),
    payload_sha256: sha256Hex,
    claimed_at: isoTime,
  }),
} as const;

export type IdempotencyEvent = EventsOf<typeof idempotencyEventSchemas>;
export type IdempotencyEventType = IdempotencyEvent['type'];
export const idempotencyEventTypes = Object.keys(idempotencyEventSchemas) as IdempotencyEventType[];
export const decodeIdempotencyEvent = makeDecoder(idempotencyEventSchemas);
