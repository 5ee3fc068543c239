/**
 * Streams/Read for the test server: stream reads (forwards/backwards, from a revision,
 * with a count), $all reads, and catch-up subscriptions to a stream or to $all with a
 * filter, checkpoints, confirmation and caught-up, then live events until cancelled.
 *
 * Semantics copied from the real server's observable behaviour: a stream read's
 * revision is inclusive; a forwards $all read's position is inclusive and a backwards
 * one exclusive; subscription starting points (revision or position) are exclusive.
 */
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { LogRecord, MemoryLog } from './memoryLog.js';
import { eventResponse, send, streamIdentifier, streamName, streamsPb } from './wire.js';

type ReadReq = InstanceType<typeof streamsPb.ReadReq>;
type ReadResp = InstanceType<typeof streamsPb.ReadResp>;
type ReadCall = grpc.ServerWritableStream<ReadReq, ReadResp>;
type Options = InstanceType<typeof streamsPb.ReadReq.Options>;

/** The server's default search window; the checkpoint interval is a multiple of it. */
const DEFAULT_WINDOW = 32;

interface Filter {
  readonly on: 'stream' | 'event_type';
  readonly matches: (value: string) => boolean;
  readonly checkpointEvery: number;
}

export function createReadHandler(log: MemoryLog, track: (call: ReadCall) => () => void): grpc.handleServerStreamingCall<ReadReq, ReadResp> {
  return (call) => {
    const untrack = track(call);
    let closed = false;
    const close = (): void => {
      closed = true;
    };
    call.on('cancelled', close);
    call.on('close', close);
    const isClosed = (): boolean => closed || call.cancelled;
    serve(log, call, isClosed).then(
      () => {
        untrack();
        if (!isClosed()) call.end();
      },
      (error: unknown) => {
        untrack();
        if (!isClosed()) call.destroy(error instanceof Error ? error : new Error(String(error)));
      },
    );
  };
}

async function serve(log: MemoryLog, call: ReadCall, isClosed: () => boolean): Promise<void> {
  const options = call.request.getOptions();
  if (!options) throw new Error('ReadReq without options');
  const structuredIds = options.getUuidOption()?.hasStructured() ?? false;
  const emit = (record: LogRecord): Promise<void> => send(call, eventResponse(record, structuredIds), isClosed);
  const filter = parseFilter(options);
  const stream = options.getStream();

  if (options.hasSubscription()) {
    const confirmation = new streamsPb.ReadResp();
    confirmation.setConfirmation(new streamsPb.ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID()));
    await send(call, confirmation, isClosed);
    if (stream) {
      const name = streamName(stream.getStreamIdentifier());
      const from = stream.hasRevision() ? Number(BigInt(stream.getRevision()) + 1n) : stream.hasEnd() ? (log.stream(name)?.length ?? 0) : 0;
      await subscribe(log, call, isClosed, {
        start: from,
        available: () => log.stream(name)?.length ?? 0,
        at: (i) => log.stream(name)?.[i],
        filter: undefined,
        emit,
      });
      return;
    }
    const all = options.getAll();
    const start = all?.hasPosition()
      ? exclusiveStart(log, BigInt(all.getPosition()?.getCommitPosition() ?? '0'))
      : all?.hasEnd() ? log.records.length : 0;
    await subscribe(log, call, isClosed, { start, available: () => log.records.length, at: (i) => log.records[i], filter, emit });
    return;
  }

  const count = options.hasCount() ? BigInt(options.getCount()) : BigInt(Number.MAX_SAFE_INTEGER);
  const backwards = options.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS;
  if (stream) {
    const name = streamName(stream.getStreamIdentifier());
    const records = log.stream(name);
    if (!records || records.length === 0) {
      const notFound = new streamsPb.ReadResp();
      notFound.setStreamNotFound(new streamsPb.ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(name)));
      await send(call, notFound, isClosed);
      return;
    }
    const last = records.length - 1;
    const revision = stream.hasRevision() ? BigInt(stream.getRevision()) : undefined;
    if (backwards) {
      const from = stream.hasStart() ? 0 : revision === undefined || revision > BigInt(last) ? last : Number(revision);
      const to = Math.max(-1, from - Number(count > BigInt(records.length) ? BigInt(records.length) : count));
      for (let i = from; i > to && !isClosed(); i -= 1) await emit(records[i] as LogRecord);
    } else {
      const from = stream.hasEnd() ? records.length : revision === undefined ? 0 : revision > BigInt(last) ? records.length : Number(revision);
      const to = Math.min(records.length, from + Number(count > BigInt(records.length) ? BigInt(records.length) : count));
      for (let i = from; i < to && !isClosed(); i += 1) await emit(records[i] as LogRecord);
    }
    return;
  }

  const all = options.getAll();
  const position = all?.hasPosition() ? BigInt(all.getPosition()?.getCommitPosition() ?? '0') : undefined;
  let remaining = count;
  if (backwards) {
    // Backwards from a position gives what lies strictly before it.
    const from = all?.hasStart() ? -1 : position === undefined ? log.records.length - 1 : log.indexAtOrAfter(position) - 1;
    for (let i = from; i >= 0 && remaining > 0n && !isClosed(); i -= 1) {
      const record = log.records[i] as LogRecord;
      if (filter && !passes(filter, record)) continue;
      await emit(record);
      remaining -= 1n;
    }
  } else {
    const from = all?.hasEnd() ? log.records.length : position === undefined ? 0 : log.indexAtOrAfter(position);
    for (let i = from; i < log.records.length && remaining > 0n && !isClosed(); i += 1) {
      const record = log.records[i] as LogRecord;
      if (filter && !passes(filter, record)) continue;
      await emit(record);
      remaining -= 1n;
    }
  }
}

/** First index strictly after a subscription's starting position. */
function exclusiveStart(log: MemoryLog, position: bigint): number {
  const index = log.indexAtOrAfter(position);
  return log.records[index]?.position === position ? index + 1 : index;
}

interface SubscriptionSource {
  readonly start: number;
  readonly available: () => number;
  readonly at: (index: number) => LogRecord | undefined;
  readonly filter: Filter | undefined;
  readonly emit: (record: LogRecord) => Promise<void>;
}

/**
 * One cursor serves catch-up and live alike: it walks the records, sends caught_up
 * the first time it reaches the end, then sleeps until the log grows or the call ends.
 * A checkpoint goes out after every `checkpointEvery` records examined (filtered or not).
 */
async function subscribe(log: MemoryLog, call: ReadCall, isClosed: () => boolean, source: SubscriptionSource): Promise<void> {
  let wake: (() => void) | undefined;
  const stopWaiting = log.onWrite(() => wake?.());
  const onEnd = (): void => wake?.();
  call.on('cancelled', onEnd);
  call.on('close', onEnd);
  try {
    let cursor = source.start;
    let examined = 0;
    let caughtUp = false;
    while (!isClosed()) {
      const record = cursor < source.available() ? source.at(cursor) : undefined;
      if (record) {
        cursor += 1;
        if (!source.filter || passes(source.filter, record)) await source.emit(record);
        if (source.filter) {
          examined += 1;
          if (examined % source.filter.checkpointEvery === 0) await send(call, checkpoint(record.position), isClosed);
        }
        continue;
      }
      if (!caughtUp) {
        caughtUp = true;
        const message = new streamsPb.ReadResp();
        message.setCaughtUp(new streamsPb.ReadResp.CaughtUp());
        await send(call, message, isClosed);
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (isClosed() || cursor < source.available()) resolve();
      });
      wake = undefined;
    }
  } finally {
    stopWaiting();
    call.off('cancelled', onEnd);
    call.off('close', onEnd);
  }
}

function checkpoint(position: bigint): ReadResp {
  const message = new streamsPb.ReadResp();
  message.setCheckpoint(new streamsPb.ReadResp.Checkpoint().setCommitPosition(position.toString()).setPreparePosition(position.toString()));
  return message;
}

function parseFilter(options: Options): Filter | undefined {
  if (!options.hasFilter()) return undefined;
  const filter = options.getFilter();
  if (!filter) return undefined;
  const expression = filter.hasStreamIdentifier() ? filter.getStreamIdentifier() : filter.getEventType();
  if (!expression) return undefined;
  const regex = expression.getRegex();
  const prefixes = expression.getPrefixList();
  const matches = regex
    ? ((pattern: RegExp) => (value: string) => pattern.test(value))(new RegExp(regex))
    : (value: string) => prefixes.some((prefix) => value.startsWith(prefix));
  const window = filter.hasMax() ? filter.getMax() : DEFAULT_WINDOW;
  const multiplier = Math.max(1, filter.getCheckpointintervalmultiplier());
  return { on: filter.hasStreamIdentifier() ? 'stream' : 'event_type', matches, checkpointEvery: window * multiplier };
}

function passes(filter: Filter, record: LogRecord): boolean {
  switch (filter.on) {
    case 'stream':
      return filter.matches(record.stream);
    case 'event_type':
      return filter.matches(record.type);
    default: {
      const never: never = filter.on;
      throw new Error(`unknown filter ${String(never)}`);
    }
  }
}
