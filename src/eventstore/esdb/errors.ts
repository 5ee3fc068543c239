/**
 * Client errors -> the port's errors. Unavailability arrives in several shapes: the
 * client's UnavailableError, CancelledError (a server shutting down cancels its calls),
 * DeadlineExceededError, and raw @grpc/grpc-js errors (code 14 UNAVAILABLE, 4
 * DEADLINE_EXCEEDED, 1 CANCELLED from the server side) that escape the client's own
 * conversion, e.g. from its capability probe before an append. A cluster in the middle
 * of a leader election (NotLeaderError: the client reconnects to the new leader on the
 * next call) and a server-side commit timeout (TimeoutError) are just as transient.
 * All become one StoreUnavailableError, which the API answers with 503; a retried
 * append is safe because every event carries its own id.
 */
import {
  CancelledError, DeadlineExceededError, ErrorType, NotLeaderError, StreamNotFoundError, TimeoutError, UnavailableError,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
} from '@eventstore/db-client';
import { StoreUnavailableError, WrongExpectedVersionError } from '../errors.js';
import type { ExpectedRevision } from '../port.js';

const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;
const UNAVAILABLE_CODES: ReadonlySet<number> = new Set([GRPC_CANCELLED, GRPC_DEADLINE_EXCEEDED, GRPC_UNAVAILABLE]);
const TRANSIENT_TYPES: ReadonlySet<string> = new Set<string>([
  ErrorType.UNAVAILABLE, ErrorType.CANCELLED, ErrorType.DEADLINE_EXCEEDED, ErrorType.NOT_LEADER, ErrorType.TIMEOUT,
]);

export function isUnavailable(error: unknown): boolean {
  if (
    error instanceof UnavailableError || error instanceof CancelledError || error instanceof DeadlineExceededError
    || error instanceof NotLeaderError || error instanceof TimeoutError
  ) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { type, code } = error as { type?: unknown; code?: unknown };
  if (typeof type === 'string' && TRANSIENT_TYPES.has(type)) return true;
  // A raw gRPC ServiceError (a client-side cancellation never reaches here: we only cancel what we stop).
  return typeof code === 'number' && UNAVAILABLE_CODES.has(code) && 'details' in error;
}

export function isStreamNotFound(error: unknown): boolean {
  return error instanceof StreamNotFoundError || (error as { type?: unknown } | null)?.type === ErrorType.STREAM_NOT_FOUND;
}

/** The port's error for a failed client call, or the error itself when it has no port meaning. */
export function toPortError(error: unknown, context: { stream?: string; expected?: ExpectedRevision } = {}): unknown {
  if (error instanceof ClientWrongExpectedVersionError) {
    return new WrongExpectedVersionError(context.stream ?? error.streamName, context.expected ?? 'any', error.actualVersion);
  }
  if (isUnavailable(error)) {
    const detail = error instanceof Error ? error.message : String(error);
    return new StoreUnavailableError(`EventStoreDB is unavailable: ${detail}`, { cause: error });
  }
  return error;
}

/**
 * True when the failed call certainly never reached a leader that could have written:
 * the channel had no connection (gRPC picks fail with "No connection established",
 * also the capability probe before an append), or a follower refused it. Such a call
 * is safe to send again whatever its expected revision.
 */
export function neverReachedLeader(error: unknown): boolean {
  if (error instanceof NotLeaderError) return true;
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const { details, message } = current as { details?: unknown; message?: unknown };
    if ([details, message].some((text) => typeof text === 'string' && text.includes('No connection established'))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
