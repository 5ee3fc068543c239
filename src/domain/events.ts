import { endpointEventSchemas, type EndpointEvent } from './endpoint/events.js';
import { idempotencyEventSchemas, type IdempotencyEvent } from './idempotency/events.js';
import { messageEventSchemas, type MessageEvent } from './message/events.js';
import { projectEventSchemas, type ProjectEvent } from './project/events.js';
import { makeDecoder, type RecordedLike } from './schema.js';

/**
 * Every event this service writes, and one decoder for all of them (event types are
 * unique across aggregates). Projections that read `$all` use this one.
 */
export type AnyDomainEvent = MessageEvent | EndpointEvent | ProjectEvent | IdempotencyEvent;

export const allEventSchemas = {
  ...messageEventSchemas,
  ...endpointEventSchemas,
  ...projectEventSchemas,
  ...idempotencyEventSchemas,
} as const;

const decodeAny = makeDecoder(allEventSchemas);

/** Returns the typed event, or throws EventDecodeError (stream, revision, type, reason). */
export const decodeEvent = (recorded: RecordedLike): AnyDomainEvent => decodeAny(recorded);
