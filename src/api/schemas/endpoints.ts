import { z } from 'zod';
import { cursorParam, endpointId, limitParam, signingKeyId } from './common.js';
import { customHeaders } from './customHeaders.js';

/** Request and response schemas of endpoints and their signing keys. */

// The URL's own rules (https, 12-2048, blocked targets) answer INVALID_ENDPOINT /
// ENDPOINT_BLOCKED in checkEndpointUrl; here it only has to be a string.
const url = z.string({ message: 'must be a string' }).describe('HTTPS URL, 12-2048 characters, publicly reachable');
const description = z.string({ message: 'must be a string' }).max(500, 'must be at most 500 characters');
const rateLimit = z.number({ message: 'must be an integer from 0 to 1000' }).int('must be an integer from 0 to 1000').min(0, 'must be an integer from 0 to 1000').max(1000, 'must be an integer from 0 to 1000');
const burst = z.number({ message: 'must be an integer from 0 to 10000' }).int('must be an integer from 0 to 10000').min(0, 'must be an integer from 0 to 10000').max(10000, 'must be an integer from 0 to 10000');

export const createEndpointBody = z.strictObject({
  url,
  description: description.optional(),
  rate_limit_rps: rateLimit.optional().describe('Deliveries per second, 0 = no limit'),
  burst: burst.optional().describe('Token bucket size; defaults to rate_limit_rps'),
  headers: customHeaders.optional(),
});

export const updateEndpointBody = z.strictObject({
  url: url.optional(),
  description: description.optional(),
  rate_limit_rps: rateLimit.optional(),
  burst: burst.optional(),
  headers: customHeaders.optional().describe('Replaces the whole header map'),
});

export const endpointParams = z.strictObject({ id: endpointId });
export const signingKeyParams = z.strictObject({ id: endpointId, keyId: signingKeyId });
export const listEndpointsQuery = z.strictObject({ limit: limitParam(100, 50), cursor: cursorParam });

export const createdEndpoint = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  signing_key_id: z.string(),
  signing_secret: z.string().describe('Shown only here'),
  key_hint: z.string(),
  created_at: z.string(),
});

export const endpointObject = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  rate_limit_rps: z.number().int(),
  burst: z.number().int(),
  headers: z.record(z.string(), z.string()),
  paused: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const endpointSummary = z.object({ id: z.string(), url: z.string(), description: z.string(), paused: z.boolean(), created_at: z.string() });

export const signingKeyObject = z.object({ id: z.string(), key_hint: z.string(), created_at: z.string() });
export const createdSigningKey = signingKeyObject.extend({ signing_secret: z.string().describe('Shown only here') });
