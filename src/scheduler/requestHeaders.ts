import { validateHeaderName, validateHeaderValue } from 'node:http';
import { isReservedDeliveryHeader } from '../domain/deliveryHeaders.js';
import { signatureHeaders } from './signing.js';

/**
 * The headers of one delivery attempt. Precedence, lowest to highest (the reference is silent,
 * spec §12.13; our decision):
 *   1. the endpoint's configured headers,
 *   2. the message's per-send headers (the more specific wins on a clash, compared without case),
 *   3. the service's own headers, which custom headers can never replace: Content-Type,
 *      User-Agent, X-Webhook-Id/-Attempt/-Timestamp/-Signature, and transport headers such as Host
 *      and Content-Length, which are dropped from custom headers entirely (the list is the one
 *      the API refuses: src/domain/deliveryHeaders.ts).
 */
export interface HeaderInput {
  endpointHeaders?: Readonly<Record<string, string>>;
  messageHeaders?: Readonly<Record<string, string>>;
  secrets: readonly string[];
  body: string;
  messageId: string;
  attemptNo: number;
  timestampSeconds: number;
  userAgent: string;
}

export class InvalidHeaderError extends Error {
  override readonly name = 'InvalidHeaderError';
}

/** Builds the ordered header record; throws InvalidHeaderError for a name or value HTTP cannot carry. */
export function buildRequestHeaders(input: HeaderInput): Record<string, string> {
  const custom = new Map<string, [string, string]>();
  for (const source of [input.endpointHeaders, input.messageHeaders]) {
    for (const [name, value] of Object.entries(source ?? {})) {
      const key = name.toLowerCase();
      if (isReservedDeliveryHeader(key)) continue;
      try {
        validateHeaderName(name);
        validateHeaderValue(name, value);
      } catch {
        throw new InvalidHeaderError(`custom header ${JSON.stringify(name)} has an invalid name or value`);
      }
      custom.set(key, [name, value]);
    }
  }
  if (input.secrets.length === 0) throw new InvalidHeaderError('the endpoint has no active signing key');
  return {
    ...Object.fromEntries(custom.values()),
    'Content-Type': 'application/json',
    'User-Agent': input.userAgent,
    'X-Webhook-Id': input.messageId,
    'X-Webhook-Attempt': String(input.attemptNo),
    ...signatureHeaders(input.secrets, input.body, input.timestampSeconds),
  };
}
