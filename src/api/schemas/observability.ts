import { z } from 'zod';
import { cursorParam, endpointId, isoDateTime, limitParam, messageId, messageStatus } from './common.js';

/** Logs, metrics, the DLQ list, and the bulk replays. */

export const logsQuery = z.strictObject({
  endpoint_id: endpointId.optional(),
  status: messageStatus.optional(),
  start_time: isoDateTime.optional().describe('Inclusive: messages created at or after'),
  end_time: isoDateTime.optional().describe('Exclusive: messages created before'),
  limit: limitParam(500, 50),
  cursor: cursorParam,
});

export const metricsQuery = z.strictObject({
  window: z.enum(['1h', '24h', '7d', '30d']).default('24h'),
  endpoint_id: endpointId.optional(),
});

export const dlqQuery = z.strictObject({ limit: limitParam(500, 50), cursor: cursorParam });

export const logItem = z.object({
  message_id: z.string(),
  endpoint: z.string().nullable().describe('The endpoint URL'),
  endpoint_id: z.string(),
  status: messageStatus,
  attempt_count: z.number().int(),
  created_at: z.string(),
  delivered_at: z.string().optional(),
  failed_at: z.string().optional(),
  next_attempt_at: z.string().optional(),
  response_status: z.number().int().optional(),
  response_latency_ms: z.number().int().optional(),
  last_error: z.string().optional(),
});

export const metricsSummary = z.object({
  window: z.string(),
  total_messages: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  retries: z.number().int(),
  success_rate: z.number(),
  avg_latency_ms: z.number().int(),
});

export const metricsTimeseries = z.object({
  window: z.string(),
  buckets: z.array(z.object({ timestamp: z.string(), succeeded: z.number().int(), failed: z.number().int(), retrying: z.number().int(), total: z.number().int(), avg_latency_ms: z.number().int() })),
});

export const MAX_REPLAY_ALL = 1000;

export const replayAllQuery = z.strictObject({
  // Required: replaying "everything" by accident is what the status filter prevents.
  status: z.enum(messageStatus.options, { error: (issue) => (issue.input === undefined ? 'is required' : undefined) }),
  endpoint_id: endpointId.optional(),
  limit: limitParam(MAX_REPLAY_ALL, 100),
});

export const replayBatchBody = z.strictObject({
  message_ids: z.array(messageId, { message: 'must be an array of message ids' }).min(1, 'must hold at least 1 id').max(100, 'must hold at most 100 ids'),
});

export const replayOutcome = z.enum(['replayed', 'stuck', 'failed']);

export const replayAllData = z.object({
  replayed: z.number().int(),
  failed: z.number().int(),
  stuck: z.number().int(),
  replayed_message_ids: z.array(z.string()),
  stuck_message_ids: z.array(z.string()),
  failed_message_ids: z.array(z.string()),
});

export const replayBatchData = z.object({
  replayed: z.number().int(),
  failed: z.number().int(),
  stuck: z.number().int(),
  results: z.array(z.object({ message_id: z.string(), status: replayOutcome, error_code: z.string().optional(), error: z.string().optional() })),
});

/**
 * What the metric routes let through to their handler, which then applies metricsQuery and
 * answers any failure with the reference's one message for both parameters.
 */
export const looseMetricsQuery = z.strictObject({
  window: z.string().optional().describe('1h | 24h | 7d | 30d (default 24h)'),
  endpoint_id: z.string().optional().describe('ep_ + 32 hex'),
});
