import { z } from 'zod';
import { cursorParam, endpointId, isoDateTime, limitParam, messageId, messageStatus } from './common.js';
import { customHeaders } from './customHeaders.js';

/** Request and response schemas of the message routes (send, get, attempts, actions, audit). */

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
export const MAX_RETENTION_HOURS = 8760;

export const sendBody = z.strictObject({
  endpoint_id: endpointId,
  payload: z.record(z.string(), z.unknown(), { message: 'must be a JSON object' }).describe('The JSON object to deliver, at most 1 MB'),
  headers: customHeaders.optional(),
  idempotency_key: z
    .string({ message: 'must be a string' })
    .min(1, 'must not be empty')
    .max(MAX_IDEMPOTENCY_KEY_LENGTH, `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
    .optional(),
  retention_hours: z
    .number({ message: `must be an integer from 0 to ${MAX_RETENTION_HOURS}` })
    .int(`must be an integer from 0 to ${MAX_RETENTION_HOURS}`)
    .min(0, `must be an integer from 0 to ${MAX_RETENTION_HOURS}`)
    .max(MAX_RETENTION_HOURS, `must be an integer from 0 to ${MAX_RETENTION_HOURS}`)
    .optional(),
});

export const messageIdParams = z.strictObject({ id: messageId });

export const messageRef = z.object({ message_id: z.string(), status: messageStatus });

export const messageObject = z.object({
  id: z.string(),
  project_id: z.string(),
  endpoint_id: z.string(),
  status: messageStatus,
  attempt_count: z.number().int(),
  replay_count: z.number().int(),
  content_type: z.string(),
  size_bytes: z.number().int(),
  payload_sha256: z.string(),
  idempotency_key: z.string().optional(),
  retention_hours: z.number().int().optional(),
  next_attempt_at: z.string().optional(),
  last_error: z.string().optional(),
  response_status: z.number().int().optional(),
  response_latency_ms: z.number().int().optional(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const attemptObject = z.object({
  id: z.string(),
  attempt_no: z.number().int(),
  started_at: z.string(),
  finished_at: z.string().optional(),
  outcome: z.enum(['in_progress', 'succeeded', 'failed', 'abandoned']),
  response_status: z.number().int().optional(),
  response_latency_ms: z.number().int().optional(),
  processing_ms: z.null(),
  error_text: z.string().optional(),
  response_headers: z.record(z.string(), z.string()).optional(),
  request_headers: z.record(z.string(), z.string()).optional(),
  retry_type: z.enum(['fast', 'slow']).optional(),
  retry_after_seconds: z.number().int().optional(),
});

/** ?as_of=<ISO-8601 time> or ?as_of=<revision number>: the message as it stood then. */
export const getMessageQuery = z.strictObject({
  as_of: z
    .union([z.string().regex(/^\d{1,15}$/).transform((r) => ({ revision: BigInt(r) })), isoDateTime.transform((t) => ({ time: t }))], {
      message: 'must be an ISO-8601 date-time or a revision number',
    })
    .optional(),
});

export const eventsQuery = z.strictObject({ limit: limitParam(500, 100), cursor: cursorParam });

export const historyEvent = z.object({
  type: z.string(),
  revision: z.number().int(),
  position: z.string().describe('Global log position, as a string (it is a 64-bit integer)'),
  recorded_at: z.string(),
  data: z.record(z.string(), z.unknown()),
  actor: z.string().nullable(),
  request_id: z.string().nullable(),
});
