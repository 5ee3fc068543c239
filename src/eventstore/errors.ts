import type { ExpectedRevision } from './port.js';

/** The stream was not at the revision the append expected. */
export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual last revision, or 'no_stream'. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`Wrong expected version on stream ${stream}: expected ${String(expected)}, actual ${String(actual)}`);
  }
}

/** The store cannot be reached (server down, file unwritable, timed out). Callers answer 503. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type InvalidAppendReason = 'empty_stream_name' | 'system_stream' | 'not_serializable' | 'too_large' | 'invalid_event';

/** The append itself is malformed; nothing was written. */
export class InvalidAppendError extends Error {
  override readonly name = 'InvalidAppendError';
  constructor(readonly reason: InvalidAppendReason, message: string) {
    super(message);
  }
}
