/**
 * Append validation shared by every adapter, so a bad append is refused the same way
 * whatever holds the log, and before anything is written. Adapters store the JSON
 * produced here, so what is checked is exactly what is kept.
 */
import { InvalidAppendError } from './errors.js';
import { MAX_APPEND_BYTES } from './port.js';
import type { EventToAppend } from './port.js';

/** One event, checked and serialised. */
export interface PreparedEvent {
  /** Lower-case canonical UUID. */
  readonly id: string;
  readonly type: string;
  readonly dataJson: string;
  readonly metadataJson: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks a whole append and returns its events serialised. Throws InvalidAppendError
 * for: an empty or `$` stream name, no events, a missing type, a non-UUID or repeated
 * id, data/metadata that would not survive a JSON round trip unchanged, or more than
 * MAX_APPEND_BYTES of data + metadata JSON in total.
 */
export function validateAppend(stream: string, events: readonly EventToAppend[]): PreparedEvent[] {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new InvalidAppendError('empty_stream_name', 'Stream name must be a non-empty string');
  }
  if (stream.startsWith('$')) {
    throw new InvalidAppendError('system_stream', `Stream name "${stream}" starts with "$", which is reserved for system streams`);
  }
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidAppendError('invalid_event', `Append to ${stream} has no events`);
  }
  // Only an append of several events can repeat an id within itself.
  const seen = events.length > 1 ? new Set<string>() : undefined;
  let totalBytes = 0;
  // One walk state for the whole append: paths are spelled out only when refusing.
  const walk: JsonWalk = { keys: [], ancestors: [], stream, index: 0, part: 'data' };
  // A plain loop, no callback: a closure per call costs more than it looks under tsx (keepNames).
  const prepared: PreparedEvent[] = [];
  for (let index = 0; index < events.length; index += 1) {
    const event = events[index] as EventToAppend;
    if (typeof event.id !== 'string' || !UUID.test(event.id)) {
      throw new InvalidAppendError('invalid_event', `${eventAt(stream, index)}: id ${JSON.stringify(String(event.id))} is not a UUID`);
    }
    const id = event.id.toLowerCase();
    if (seen !== undefined) {
      if (seen.has(id)) throw new InvalidAppendError('invalid_event', `${eventAt(stream, index)}: id ${id} appears twice in one append`);
      seen.add(id);
    }
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new InvalidAppendError('invalid_event', `${eventAt(stream, index)}: type must be a non-empty string`);
    }
    if (event.data === undefined) throw new InvalidAppendError('not_serializable', `${eventAt(stream, index)}: data is undefined`);
    walk.index = index;
    walk.part = 'data';
    assertJsonSafe(event.data, walk);
    const metadata = event.metadata ?? {};
    if (!isPlainObject(metadata)) throw new InvalidAppendError('not_serializable', `${eventAt(stream, index)}: metadata must be a plain object`);
    walk.part = 'metadata';
    assertJsonSafe(metadata, walk);
    const dataJson = JSON.stringify(event.data);
    const metadataJson = JSON.stringify(metadata);
    totalBytes += Buffer.byteLength(dataJson, 'utf8') + Buffer.byteLength(metadataJson, 'utf8');
    prepared.push({ id, type: event.type, dataJson, metadataJson });
  }
  if (totalBytes > MAX_APPEND_BYTES) {
    throw new InvalidAppendError('too_large', `Append to ${stream} is ${totalBytes} bytes of JSON; the limit is ${MAX_APPEND_BYTES} bytes (1 MiB)`);
  }
  return prepared;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Where assertJsonSafe is: which event and part, keys from there, and the objects it is inside (for cycles). */
interface JsonWalk {
  readonly keys: (string | number)[];
  readonly ancestors: object[];
  readonly stream: string;
  index: number;
  part: 'data' | 'metadata';
}

const eventAt = (stream: string, index: number): string => `event ${index} of append to ${stream}`;

/**
 * Refuses anything JSON.stringify would drop, alter or choke on (functions, symbols,
 * undefined members, bigint, NaN/Infinity, Dates and other class instances, cycles),
 * because a reader must get back exactly what was appended. A plain recursive function
 * that builds no strings unless it refuses: it runs on every append's hot path.
 */
function assertJsonSafe(value: unknown, walk: JsonWalk): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) notSerialisable(walk, `${String(value)} is not representable in JSON`);
      return;
    case 'object':
      break;
    case 'undefined':
    case 'function':
    case 'symbol':
    case 'bigint':
      notSerialisable(walk, `a ${typeof value} is not JSON-serialisable`);
      return;
    default: {
      const never: never = value as never;
      notSerialisable(walk, `unexpected value ${String(never)}`);
      return;
    }
  }
  if (value === null) return;
  if (walk.ancestors.includes(value)) notSerialisable(walk, 'contains a cycle');
  walk.ancestors.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      walk.keys.push(i);
      assertJsonSafe(value[i], walk);
      walk.keys.pop();
    }
  } else if (isPlainObject(value)) {
    for (const key in value) {
      walk.keys.push(key);
      assertJsonSafe(value[key], walk);
      walk.keys.pop();
    }
    if (Object.getOwnPropertySymbols(value).length > 0) notSerialisable(walk, 'has symbol keys');
  } else {
    notSerialisable(walk, `a ${value.constructor?.name ?? 'non-plain'} object is not plain JSON`);
  }
  walk.ancestors.pop();
}

function notSerialisable(walk: JsonWalk, why: string): never {
  const path = walk.keys.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('');
  throw new InvalidAppendError('not_serializable', `${eventAt(walk.stream, walk.index)}: ${walk.part}${path}: ${why}`);
}
