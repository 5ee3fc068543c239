import { z } from 'zod';

/**
 * Identifier and paging schemas shared by every resource route. Messages are lowercase,
 * field-first ("id must be a valid UUID"), as src/api/http/validate.ts composes them.
 */

// Any 8-4-4-4-12 hex: zod 4's z.uuid() checks RFC variant bits and refuses the reference's
// own example id 01935abc-def0-7123-4567-890abcdef012.
const UUID_SHAPE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Message ids: accepted in any case, handled lowercase (stream names are case-sensitive). */
export const messageId = z
  .string()
  .regex(UUID_SHAPE, 'must be a valid UUID')
  .transform((id) => id.toLowerCase())
  .describe('Message id (UUIDv7), e.g. 01935abc-def0-7123-4567-890abcdef012');

export const ENDPOINT_ID = /^ep_[a-f0-9]{32}$/;
export const endpointId = z.string().regex(ENDPOINT_ID, 'must be in format ep_xxx').describe('Endpoint id, ep_ + 32 hex');
export const signingKeyId = z.string().regex(/^sk_[a-f0-9]{32}$/, 'must be in format sk_xxx').describe('Signing key id, sk_ + 32 hex');
export const apiKeyId = z.string().regex(/^key_[A-Za-z0-9_]{1,64}$/, 'must be in format key_xxx').describe('API key id');

export const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' });

/** `limit` in a query string: an integer within bounds, or the default when absent. */
export const limitParam = (max: number, fallback: number) =>
  z.coerce
    .number({ message: `must be an integer from 1 to ${max}` })
    .int(`must be an integer from 1 to ${max}`)
    .min(1, `must be an integer from 1 to ${max}`)
    .max(max, `must be an integer from 1 to ${max}`)
    .default(fallback);

/** Opaque cursor: base64url text of bounded length; what it holds is each list's business. */
export const cursorParam = z.string().regex(/^[A-Za-z0-9_-]{1,512}={0,2}$/, 'must be a cursor returned by a previous page').optional();

export const messageStatus = z.enum(['queued', 'delivering', 'pending_retry', 'succeeded', 'failed_permanent']);
