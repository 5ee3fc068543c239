import { validateHeaderName, validateHeaderValue } from 'node:http';
import { z } from 'zod';
import { isReservedDeliveryHeader } from '../../domain/deliveryHeaders.js';
import { DomainError } from '../../domain/errors.js';

/**
 * Custom headers a caller may add to deliveries (per send, or on the endpoint). Limits from
 * the reference: at most 50 headers and 8 KB in all (names + values, UTF-8 bytes). Names the
 * service owns or the transport owns cannot be set; the reference names Host and
 * Authorization ("etc"), we refuse the whole list below (docs/api.md).
 */
export const MAX_CUSTOM_HEADERS = 50;
export const MAX_CUSTOM_HEADER_BYTES = 8 * 1024;

/** Shape only; the rules that answer INVALID_HEADERS run in checkCustomHeaders. */
export const customHeaders = z
  .record(z.string(), z.string({ message: 'must be a string' }), { message: 'must be an object of header names to string values' })
  .describe(`Custom headers added to deliveries: at most ${MAX_CUSTOM_HEADERS}, ${MAX_CUSTOM_HEADER_BYTES} bytes in all`);

const invalidHeaders = (message: string, header?: string): DomainError =>
  new DomainError('INVALID_HEADERS', message, 400, header === undefined ? undefined : { header });

/** Throws 400 INVALID_HEADERS for the first rule a header map breaks. */
export function checkCustomHeaders(headers: Readonly<Record<string, string>>): void {
  const entries = Object.entries(headers);
  if (entries.length > MAX_CUSTOM_HEADERS) throw invalidHeaders(`at most ${MAX_CUSTOM_HEADERS} custom headers are allowed (got ${entries.length})`);
  const seen = new Set<string>();
  let bytes = 0;
  for (const [name, value] of entries) {
    const shown = name.length > 64 ? `${name.slice(0, 64)}...` : name;
    try {
      validateHeaderName(name);
    } catch {
      throw invalidHeaders(`header name '${JSON.stringify(shown).slice(1, -1)}' is not a valid HTTP header name`, shown);
    }
    const lower = name.toLowerCase();
    if (isReservedDeliveryHeader(lower)) throw invalidHeaders(`header '${name}' is forbidden and cannot be overridden`, name);
    if (seen.has(lower)) throw invalidHeaders(`header '${name}' is given more than once (names are case-insensitive)`, name);
    seen.add(lower);
    try {
      validateHeaderValue(name, value);
    } catch {
      throw invalidHeaders(`header '${name}' has an invalid value: control characters such as CR and LF are not allowed`, name);
    }
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  if (bytes > MAX_CUSTOM_HEADER_BYTES) throw invalidHeaders(`custom headers total ${bytes} bytes; the limit is ${MAX_CUSTOM_HEADER_BYTES} bytes (8 KB)`);
}
