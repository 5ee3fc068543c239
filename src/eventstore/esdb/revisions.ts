/**
 * Expected revisions and positions between the port and @eventstore/db-client.
 *
 * Positions: the port carries one bigint per event, the event's COMMIT position in
 * $all. Every event written through the gRPC API (Append and BatchAppend alike) is its
 * own implicitly committed prepare record, and the server reports it in $all as
 * TFPos(commit = prepare = the record's log position): so `{ commit: p, prepare: p }`
 * names exactly that event again, which is what `fromPosition` needs. (Only events
 * from the legacy explicit-transaction API, gone from the TCP-less 24.x servers, had
 * commit != prepare; resuming from such an event could skip the rest of its
 * transaction. Nothing this service writes is one.)
 */
import { ANY, NO_STREAM, STREAM_EXISTS } from '@eventstore/db-client';
import type { AppendExpectedRevision, Position } from '@eventstore/db-client';
import type { ExpectedRevision } from '../port.js';

export function toClientRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      if (typeof expected === 'bigint') return expected;
      return unknownRevision(expected);
  }
}

export function fromClientRevision(expected: AppendExpectedRevision): ExpectedRevision {
  switch (expected) {
    case ANY:
      return 'any';
    case NO_STREAM:
      return 'no_stream';
    case STREAM_EXISTS:
      return 'stream_exists';
    default:
      if (typeof expected === 'bigint') return expected;
      return unknownRevision(expected);
  }
}

function unknownRevision(value: never): never {
  throw new Error(`Unknown expected revision ${String(value)}`);
}

/** The client's position for an event the port knows by its commit position. */
export function toClientPosition(position: bigint): Position {
  return { commit: position, prepare: position };
}

export function fromClientPosition(position: Position): bigint {
  return position.commit;
}
