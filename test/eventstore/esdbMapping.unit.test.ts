import { Metadata, status } from '@grpc/grpc-js';
import {
  ANY, CancelledError, DeadlineExceededError, NO_STREAM, STREAM_EXISTS, StreamNotFoundError, UnavailableError,
  UnknownError, WrongExpectedVersionError as ClientWrongExpectedVersionError,
} from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError, WrongExpectedVersionError } from '../../src/eventstore/errors.js';
import { isStreamNotFound, toPortError } from '../../src/eventstore/esdb/errors.js';
import { fromClientPosition, fromClientRevision, toClientPosition, toClientRevision } from '../../src/eventstore/esdb/revisions.js';
import type { ExpectedRevision } from '../../src/eventstore/port.js';

function grpcError(code: status, details: string): Error & { code: status; details: string; metadata: Metadata } {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
}

describe('EventStoreDB mapping', () => {
  it('maps every expected revision to the client and back unchanged', () => {
    const cases: [ExpectedRevision, unknown][] = [['any', ANY], ['no_stream', NO_STREAM], ['stream_exists', STREAM_EXISTS], [0n, 0n], [41n, 41n]];
    for (const [port, client] of cases) {
      expect(toClientRevision(port)).toBe(client);
      expect(fromClientRevision(toClientRevision(port))).toBe(port);
    }
  });

  it('names an event again by commit == prepare position', () => {
    expect(toClientPosition(1578n)).toEqual({ commit: 1578n, prepare: 1578n });
    expect(fromClientPosition({ commit: 1578n, prepare: 1578n })).toBe(1578n);
  });

  it('turns the client wrong-expected-version error into the port one, with the caller expectation', () => {
    const error = new ClientWrongExpectedVersionError(undefined, { streamName: 'message-1', expected: NO_STREAM, current: 3n });
    const mapped = toPortError(error, { stream: 'message-1', expected: 'no_stream' });
    expect(mapped).toBeInstanceOf(WrongExpectedVersionError);
    expect(mapped).toMatchObject({ stream: 'message-1', expected: 'no_stream', actual: 3n });
    const missing = new ClientWrongExpectedVersionError(undefined, { streamName: 's', expected: STREAM_EXISTS, current: NO_STREAM });
    expect(toPortError(missing, { stream: 's', expected: 'stream_exists' })).toMatchObject({ actual: 'no_stream' });
  });

  it('turns every shape of unavailability into StoreUnavailableError, keeping the cause', () => {
    const shapes: unknown[] = [
      new UnavailableError(grpcError(status.UNAVAILABLE, 'No connection established')),
      new CancelledError(grpcError(status.CANCELLED, 'Cancelled on server')),
      new DeadlineExceededError(grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded')),
      grpcError(status.UNAVAILABLE, 'No connection established'),
      grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'),
    ];
    for (const shape of shapes) {
      const mapped = toPortError(shape);
      expect(mapped).toBeInstanceOf(StoreUnavailableError);
      expect((mapped as StoreUnavailableError).cause).toBe(shape);
    }
  });

  it('leaves other errors alone', () => {
    const unknown = new UnknownError(grpcError(status.INTERNAL, 'boom'));
    expect(toPortError(unknown)).toBe(unknown);
    const plain = new Error('plain');
    expect(toPortError(plain)).toBe(plain);
    expect(toPortError({ code: 14 })).toEqual({ code: 14 });
  });

  it('recognises a missing stream', () => {
    expect(isStreamNotFound(new StreamNotFoundError(undefined, 'nope'))).toBe(true);
    expect(isStreamNotFound(new Error('nope'))).toBe(false);
  });
});
