/**
 * Every refusal the service makes is a DomainError carrying the reference's error code,
 * its human message, and the HTTP status the API answers with. One middleware turns it
 * into the error envelope; nothing else formats errors.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/**
 * An event read from the store that this code cannot turn into a typed event: unknown
 * type, a schema version it does not know, or data failing its schema. Callers (projections,
 * command handlers) catch it and decide (skip and log, park, stop) instead of crashing.
 */
export class EventDecodeError extends Error {
  override readonly name = 'EventDecodeError';
  constructor(
    readonly stream: string,
    readonly revision: bigint,
    readonly eventType: string,
    readonly reason: string,
  ) {
    super(`Cannot decode event ${eventType} at ${stream}@${revision}: ${reason}`);
  }
}

/** The reference's "not found" refusal, shared by every aggregate. */
export const notFound = (what: string): DomainError => new DomainError('NOT_FOUND', `${what} not found`, 404);
