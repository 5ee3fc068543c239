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
  const seen = new Set<string>();
  let totalBytes = 0;
  const prepared = events.map((event, index): PreparedEvent => {
    const where = `event ${index} of append to ${stream}`;
    if (typeof event.id !== 'string' || !UUID.test(event.id)) {
      throw new InvalidAppendError('invalid_event', `${where}: id ${JSON.stringify(String(event.id))} is not a UUID`);
    }
    const id = event.id.toLowerCase();
    if (seen.has(id)) throw new InvalidAppendError('invalid_event', `${where}: id ${id} appears twice in one append`);
    seen.add(id);
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new InvalidAppendError('invalid_event', `${where}: type must be a non-empty string`);
    }
    if (event.data === undefined) throw new InvalidAppendError('not_serializable', `${where}: data is undefined`);
    assertJsonSafe(event.data, `${where}: data`);
    const metadata = event.metadata ?? {};
    if (!isPlainObject(metadata)) throw new InvalidAppendError('not_serializable', `${where}: metadata must be a plain object`);
    assertJsonSafe(metadata, `${where}: metadata`);
    const dataJson = JSON.stringify(event.data);
    const metadataJson = JSON.stringify(metadata);
    totalBytes += Buffer.byteLength(dataJson, 'utf8') + Buffer.byteLength(metadataJson, 'utf8');
    return { id, type: event.type, dataJson, metadataJson };
  });
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

/**
 * Refuses anything JSON.stringify would drop, alter or choke on (functions, symbols,
 * undefined members, bigint, NaN/Infinity, Dates and other class instances, cycles),
 * because a reader must get back exactly what was appended. A plain recursive
 * function (no closures per call): it runs on every append's hot path.
 */
function assertJsonSafe(value: unknown, path: string, ancestors: object[] = []): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) notSerialisable(path, `${String(value)} is not representable in JSON`);
      return;
    case 'object':
      break;
    case 'undefined':
    case 'function':
    case 'symbol':
    case 'bigint':
      notSerialisable(path, `a ${typeof value} is not JSON-serialisable`);
      return;
    default: {
      const never: never = value as never;
      notSerialisable(path, `unexpected value ${String(never)}`);
      return;
    }
  }
  if (value === null) return;
  if (ancestors.includes(value)) notSerialisable(path, 'contains a cycle');
  ancestors.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) assertJsonSafe(value[i], `${path}[${i}]`, ancestors);
  } else if (isPlainObject(value)) {
    for (const key in value) assertJsonSafe(value[key], `${path}.${key}`, ancestors);
    if (Object.getOwnPropertySymbols(value).length > 0) notSerialisable(path, 'has symbol keys');
  } else {
    notSerialisable(path, `a ${value.constructor?.name ?? 'non-plain'} object is not plain JSON`);
  }
  ancestors.pop();
}

function notSerialisable(path: string, why: string): never {
  throw new InvalidAppendError('not_serializable', `${path}: ${why}`);
}
