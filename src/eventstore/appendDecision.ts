/**
 * The expected-revision rule, including EventStoreDB's idempotence rule, as one pure
 * function so every adapter that enforces it itself (memory, SQLite) agrees exactly.
 */
import { InvalidAppendError, WrongExpectedVersionError } from './errors.js';
import type { ExpectedRevision } from './port.js';

export type AppendDecision =
  /** Write the events after `actual`. */
  | { readonly kind: 'write' }
  /** Every event is already in the stream, ending at `lastRevision`: answer as the first time. */
  | { readonly kind: 'already_written'; readonly lastRevision: bigint };

/** What the decision needs to know about the stream, read inside the writing transaction. */
export interface StreamFacts {
  /** Last revision of the stream, or 'no_stream'. */
  readonly actual: bigint | 'no_stream';
  /** Ids of up to `count` events of this stream starting at `revision`, in order. */
  idsFrom(revision: bigint, count: number): readonly string[];
  /** Revision of this event id in this stream, if it is there. */
  revisionOf(id: string): bigint | undefined;
}

/**
 * The common case, decided without the ids or any read: an exact expected revision (or
 * no_stream) equal to the stream's actual one means "write". False means "ask decideAppend".
 */
export function expectsActual(expected: ExpectedRevision, actual: bigint | 'no_stream'): boolean {
  return expected === actual;
}

/**
 * Decides an append of `ids` (already validated, lower case). Throws
 * WrongExpectedVersionError on a conflict. With a specific revision (or no_stream,
 * i.e. -1): ids all committed right after it -> already written; some or none -> conflict.
 * With any/stream_exists: ids all present as a contiguous run -> already written; a
 * partial overlap is refused as InvalidAppendError (ids must stay unique).
 */
export function decideAppend(stream: string, expected: ExpectedRevision, ids: readonly string[], facts: StreamFacts): AppendDecision {
  const { actual } = facts;
  const conflict = (): never => {
    throw new WrongExpectedVersionError(stream, expected, actual);
  };
  if (typeof expected === 'bigint' || expected === 'no_stream') {
    const base = expected === 'no_stream' ? -1n : expected;
    const actualNumber = actual === 'no_stream' ? -1n : actual;
    if (actualNumber === base) return { kind: 'write' };
    if (actualNumber > base && sameIds(facts.idsFrom(base + 1n, ids.length), ids)) {
      return { kind: 'already_written', lastRevision: base + BigInt(ids.length) };
    }
    return conflict();
  }
  if (expected === 'stream_exists' && actual === 'no_stream') return conflict();
  if (expected !== 'any' && expected !== 'stream_exists') {
    const never: never = expected;
    throw new Error(`Unknown expected revision ${String(never)}`);
  }
  const first = ids[0] === undefined ? undefined : facts.revisionOf(ids[0]);
  if (first === undefined) return { kind: 'write' };
  if (sameIds(facts.idsFrom(first, ids.length), ids)) {
    return { kind: 'already_written', lastRevision: first + BigInt(ids.length) - 1n };
  }
  throw new InvalidAppendError('invalid_event', `Append to ${stream} repeats event id ${String(ids[0])} (revision ${first}) with different events`);
}

function sameIds(stored: readonly string[], ids: readonly string[]): boolean {
  return stored.length === ids.length && stored.every((id, i) => id === ids[i]);
}
