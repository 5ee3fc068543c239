/**
 * An upper bound on the UTF-8 length of JSON.stringify(value), found by walking the value
 * without building the string. A string counts 6 bytes per UTF-16 code unit plus its quotes:
 * the most any unit takes once stringified (`\u001f` for a control character, `\udc00` for a
 * lone surrogate; other characters take 1 to 3 bytes, a surrogate pair 4 for its 2 units).
 * Over-counting is the point: a value whose bound fits a limit surely fits it, and only a
 * value whose bound does not needs the exact (serialising) measure.
 */
export function jsonBytesBound(value: unknown): number {
  const kind = typeof value;
  switch (kind) {
    case 'string':
      return 6 * (value as string).length + 2;
    case 'number':
      return Number.isFinite(value) ? String(value).length : 4; // NaN and Infinity become null
    case 'boolean':
      return 5;
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      return 4; // omitted, null, or a throw in JSON.stringify: never more than "null"
    case 'object':
      return objectBound(value as object | null);
    default: {
      const unexpected: never = kind;
      throw new Error(`jsonBytesBound: unexpected ${String(unexpected)}`);
    }
  }
}

function objectBound(value: object | null): number {
  if (value === null) return 4;
  // toJSON (Date, or a custom one) decides what is written: measure that instead.
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return jsonBytesBound((toJSON as () => unknown).call(value));
  if (Array.isArray(value)) {
    let bytes = 2; // []
    for (const item of value as unknown[]) bytes += jsonBytesBound(item) + 1; // item and a comma
    return bytes;
  }
  let bytes = 2; // {}
  for (const key of Object.keys(value)) {
    // "key": then the value, then a comma
    bytes += 6 * key.length + 2 + 1 + jsonBytesBound((value as Record<string, unknown>)[key]) + 1;
  }
  return bytes;
}
