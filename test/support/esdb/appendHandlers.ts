/**
 * Streams/Append and Streams/BatchAppend for the test server.
 *
 * Append (client-streaming): one options message, then one message per event; a wrong
 * expected version is a NORMAL response with `wrong_expected_version` set.
 * BatchAppend (bidirectional, long-lived): requests carry a correlation id, options on
 * the first, `is_final` on the last; a wrong expected version is a google.rpc.Status
 * (code 6) whose details pack `event_store.client.WrongExpectedVersion`.
 */
import * as grpc from '@grpc/grpc-js';
import anyPb from 'google-protobuf/google/protobuf/any_pb.js';
import statusPb from '@eventstore/db-client/generated/status_pb.js';
import type { AppendOutcome, MemoryLog, ProposedEvent, WireExpected } from './memoryLog.js';
import { serverError, sharedPb, streamIdentifier, streamName, streamsPb, toProposedEvent, uuidToString } from './wire.js';

type AppendReq = InstanceType<typeof streamsPb.AppendReq>;
type AppendResp = InstanceType<typeof streamsPb.AppendResp>;
type BatchAppendReq = InstanceType<typeof streamsPb.BatchAppendReq>;
type BatchAppendResp = InstanceType<typeof streamsPb.BatchAppendResp>;

/** EventStoreDB 24.10's limit on one append's event payloads. */
export const MAX_APPEND_SIZE = 1024 * 1024;
/** google.rpc.Code values the batch path uses. */
const FAILED_PRECONDITION = 9;
const WRONG_EXPECTED_VERSION_CODE = 6;
const INVALID_ARGUMENT = 3;

interface ExpectationCarrier {
  hasAny(): boolean;
  hasNoStream(): boolean;
  hasStreamExists(): boolean;
}

function expectedFrom(options: ExpectationCarrier, revision: string | undefined): WireExpected {
  if (revision !== undefined) return { kind: 'revision', revision: BigInt(revision) };
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  return { kind: 'any' };
}

function payloadSize(events: readonly ProposedEvent[]): number {
  return events.reduce((sum, e) => sum + e.data.length + e.customMetadata.length, 0);
}

/** Answers an append with an error instead of writing (e.g. "not the leader"), when set. */
export type Refusal = () => Partial<grpc.StatusObject> | undefined;

export function createAppendHandler(log: MemoryLog, track: (call: grpc.ServerReadableStream<AppendReq, AppendResp>) => () => void, refusal: Refusal): grpc.handleClientStreamingCall<AppendReq, AppendResp> {
  return (call, callback) => {
    const untrack = track(call);
    let stream = '';
    let expected: WireExpected = { kind: 'any' };
    const events: ProposedEvent[] = [];
    let failure: Partial<grpc.StatusObject> | undefined;
    call.on('data', (request: AppendReq) => {
      if (request.hasOptions()) {
        const options = request.getOptions();
        if (!options) return;
        stream = streamName(options.getStreamIdentifier());
        expected = expectedFrom(options, options.hasRevision() ? options.getRevision() : undefined);
        return;
      }
      const message = request.getProposedMessage();
      if (!message || failure) return;
      const event = toProposedEvent(message);
      if ('missing' in event) {
        failure = serverError(grpc.status.INVALID_ARGUMENT, `Missing required metadata property: ${event.missing}`, 'missing-required-metadata-property', { 'required-metadata-properties': 'type,content-type' });
        return;
      }
      events.push(event);
    });
    call.on('error', () => untrack());
    call.on('end', () => {
      untrack();
      // A client that vanished mid-call never half-closed it: a real server commits nothing.
      if (call.cancelled) return;
      const refused = refusal();
      if (refused) return callback(refused);
      if (failure) return callback(failure);
      if (payloadSize(events) > MAX_APPEND_SIZE) {
        return callback(serverError(grpc.status.INVALID_ARGUMENT, 'Maximum Append Size Exceeded', 'maximum-append-size-exceeded', { 'maximum-append-size': String(MAX_APPEND_SIZE) }));
      }
      if (events.length === 0) return callback(serverError(grpc.status.INVALID_ARGUMENT, 'An append must carry at least one event', 'invalid-argument', {}));
      callback(null, appendResponse(expected, log.append(stream, expected, events)));
    });
  };
}

/** The four setters one wire message has for an expected revision (their names differ per message). */
interface ExpectedSetters {
  any(empty: InstanceType<typeof sharedPb.Empty>): unknown;
  noStream(empty: InstanceType<typeof sharedPb.Empty>): unknown;
  streamExists(empty: InstanceType<typeof sharedPb.Empty>): unknown;
  revision(value: string): unknown;
}

function setExpected(expected: WireExpected, set: ExpectedSetters): void {
  switch (expected.kind) {
    case 'any':
      set.any(new sharedPb.Empty());
      return;
    case 'no_stream':
      set.noStream(new sharedPb.Empty());
      return;
    case 'stream_exists':
      set.streamExists(new sharedPb.Empty());
      return;
    case 'revision':
      set.revision(expected.revision.toString());
      return;
    default: {
      const never: never = expected;
      throw new Error(`unknown expected revision ${String(never)}`);
    }
  }
}

function appendResponse(expected: WireExpected, outcome: AppendOutcome): AppendResp {
  const response = new streamsPb.AppendResp();
  if (outcome.ok) {
    const position = new streamsPb.AppendResp.Position().setCommitPosition(outcome.position.toString()).setPreparePosition(outcome.position.toString());
    response.setSuccess(new streamsPb.AppendResp.Success().setCurrentRevision(outcome.lastRevision.toString()).setPosition(position));
    return response;
  }
  const wrong = new streamsPb.AppendResp.WrongExpectedVersion();
  if (outcome.currentRevision === 'no_stream') wrong.setCurrentNoStream(new sharedPb.Empty());
  else wrong.setCurrentRevision(outcome.currentRevision.toString());
  setExpected(expected, {
    any: (v) => wrong.setExpectedAny(v),
    noStream: (v) => wrong.setExpectedNoStream(v),
    streamExists: (v) => wrong.setExpectedStreamExists(v),
    revision: (v) => wrong.setExpectedRevision(v),
  });
  response.setWrongExpectedVersion(wrong);
  return response;
}

interface PendingBatch {
  stream: string;
  expected: WireExpected;
  readonly events: ProposedEvent[];
  failure?: { code: number; message: string; details?: InstanceType<typeof anyPb.Any> };
}

export function createBatchAppendHandler(log: MemoryLog, track: (call: grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => () => void, refusal: Refusal): grpc.handleBidiStreamingCall<BatchAppendReq, BatchAppendResp> {
  return (call) => {
    const untrack = track(call);
    const pending = new Map<string, PendingBatch>();
    call.on('data', (request: BatchAppendReq) => {
      const correlation = uuidToString(request.getCorrelationId());
      let batch = pending.get(correlation);
      if (!batch) {
        batch = { stream: '', expected: { kind: 'any' }, events: [] };
        pending.set(correlation, batch);
      }
      const options = request.getOptions();
      if (options) {
        batch.stream = streamName(options.getStreamIdentifier());
        batch.expected = expectedFrom(options, options.hasStreamPosition() ? options.getStreamPosition() : undefined);
      }
      for (const message of request.getProposedMessagesList()) {
        const event = toProposedEvent(message);
        if ('missing' in event) {
          const why = `Missing required metadata property: ${event.missing}`;
          batch.failure ??= { code: INVALID_ARGUMENT, message: why, details: packed(new sharedPb.BadRequest().setMessage(why), 'BadRequest') };
        }
        else batch.events.push(event);
      }
      if (!request.getIsFinal()) return;
      pending.delete(correlation);
      const refused = refusal();
      if (refused) {
        // Like the real server: the whole long-lived call ends with the error in its trailers.
        call.emit('error', refused);
        return;
      }
      if (!call.cancelled) call.write(batchResponse(request, batch, log));
    });
    call.on('end', () => {
      untrack();
      call.end();
    });
    call.on('error', () => untrack());
    call.on('cancelled', () => untrack());
  };
}

function batchResponse(request: BatchAppendReq, batch: PendingBatch, log: MemoryLog): BatchAppendResp {
  const response = new streamsPb.BatchAppendResp();
  response.setCorrelationId(request.getCorrelationId());
  response.setStreamIdentifier(streamIdentifier(batch.stream));
  setExpected(batch.expected, {
    any: (v) => response.setAny(v),
    noStream: (v) => response.setNoStream(v),
    streamExists: (v) => response.setStreamExists(v),
    revision: (v) => response.setStreamPosition(v),
  });
  if (!batch.failure && payloadSize(batch.events) > MAX_APPEND_SIZE) {
    batch.failure = { code: FAILED_PRECONDITION, message: 'Maximum Append Size Exceeded', details: packed(new sharedPb.MaximumAppendSizeExceeded().setMaxappendsize(MAX_APPEND_SIZE), 'MaximumAppendSizeExceeded') };
  }
  if (batch.failure) {
    response.setError(status(batch.failure.code, batch.failure.message, batch.failure.details));
    return response;
  }
  const outcome = log.append(batch.stream, batch.expected, batch.events);
  if (outcome.ok) {
    const position = new sharedPb.AllStreamPosition().setCommitPosition(outcome.position.toString()).setPreparePosition(outcome.position.toString());
    response.setSuccess(new streamsPb.BatchAppendResp.Success().setCurrentRevision(outcome.lastRevision.toString()).setPosition(position));
    return response;
  }
  const wrong = new sharedPb.WrongExpectedVersion();
  if (outcome.currentRevision === 'no_stream') wrong.setCurrentNoStream(new sharedPb.Empty());
  else wrong.setCurrentStreamRevision(outcome.currentRevision.toString());
  setExpected(batch.expected, {
    any: (v) => wrong.setExpectedAny(v),
    noStream: (v) => wrong.setExpectedNoStream(v),
    streamExists: (v) => wrong.setExpectedStreamExists(v),
    revision: (v) => wrong.setExpectedStreamPosition(v),
  });
  response.setError(status(WRONG_EXPECTED_VERSION_CODE, 'Wrong expected version.', packed(wrong, 'WrongExpectedVersion')));
  return response;
}

function packed(message: { serializeBinary(): Uint8Array }, name: string): InstanceType<typeof anyPb.Any> {
  const any = new anyPb.Any();
  any.pack(message.serializeBinary(), `event_store.client.${name}`);
  return any;
}

function status(code: number, message: string, details?: InstanceType<typeof anyPb.Any>): InstanceType<typeof statusPb.Status> {
  const result = new statusPb.Status();
  result.setCode(code as Parameters<typeof result.setCode>[0]);
  result.setMessage(message);
  if (details) result.setDetails(details);
  return result;
}
