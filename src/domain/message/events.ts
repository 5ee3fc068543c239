import { z } from 'zod';
import { headerMap, isoTime, makeDecoder, nonNegativeInt, positiveInt, sha256Hex, type EventsOf } from '../schema.js';

/**
 * The message aggregate's events, one per lifecycle transition (stream `message-<uuidv7>`).
 * Every data object carries `v` (its schema version) and the message id, so a projection
 * can handle one event without the stream name.
 */
const v1 = z.literal(1);

/** Why an attempt got no HTTP answer. `blocked`: the SSRF guard refused the resolved address. */
export const deliveryErrors = ['timeout', 'network', 'dns', 'tls', 'blocked'] as const;
export type DeliveryError = (typeof deliveryErrors)[number];

export const retryTypes = ['fast', 'slow'] as const;
export type RetryType = (typeof retryTypes)[number];

export const permanentFailureReasons = ['non_retryable', 'attempts_exhausted', 'cancelled'] as const;
export type PermanentFailureReason = (typeof permanentFailureReasons)[number];

export const messageEventSchemas = {
  MessageQueued: z.object({
    v: v1,
    message_id: z.string().min(1),
    project_id: z.string().min(1),
    endpoint_id: z.string().min(1),
    /** The JSON text exactly as it will be POSTed: delivered byte-exact, never re-serialised. */
    payload: z.string(),
    payload_sha256: sha256Hex,
    size_bytes: nonNegativeInt,
    content_type: z.string().min(1),
    headers: headerMap,
    idempotency_key: z.string().min(1).optional(),
    retention_hours: nonNegativeInt.optional(),
    queued_at: isoTime,
  }),
  DeliveryAttemptStarted: z.object({
    v: v1,
    message_id: z.string().min(1),
    /** 1-based over the message's whole life (replays continue the numbering). */
    attempt_no: positiveInt,
    attempt_id: z.string().min(1),
    started_at: isoTime,
    /** Until then the attempt is leased to the scheduler that started it. */
    lease_until: isoTime,
  }),
  DeliveryAttemptSucceeded: z.object({
    v: v1,
    message_id: z.string().min(1),
    attempt_no: positiveInt,
    attempt_id: z.string().min(1),
    response_status: z.number().int().min(200).max(299),
    latency_ms: nonNegativeInt,
    response_headers: headerMap.optional(),
    response_excerpt: z.string().optional(),
    request_headers: headerMap.optional(),
    succeeded_at: isoTime,
  }),
  DeliveryAttemptFailed: z.object({
    v: v1,
    message_id: z.string().min(1),
    attempt_no: positiveInt,
    attempt_id: z.string().min(1),
    /** Present when the receiver answered; absent with `error` when it did not. */
    response_status: z.number().int().min(100).max(599).optional(),
    error: z.enum(deliveryErrors).optional(),
    /** Human text for last_error / error_text, e.g. "connection timeout". */
    error_text: z.string().optional(),
    latency_ms: nonNegativeInt,
    retryable: z.boolean(),
    /** The receiver's Retry-After, as seconds from failed_at, when it sent one we could read. */
    retry_after_seconds: nonNegativeInt.optional(),
    response_headers: headerMap.optional(),
    response_excerpt: z.string().optional(),
    request_headers: headerMap.optional(),
    failed_at: isoTime,
  }),
  RetryScheduled: z.object({
    v: v1,
    message_id: z.string().min(1),
    /** The attempt whose failure (or abandonment) this retry follows. */
    attempt_no: positiveInt,
    next_attempt_at: isoTime,
    retry_type: z.enum(retryTypes),
    /** Seconds from scheduled_at to next_attempt_at. */
    retry_after_seconds: nonNegativeInt,
    scheduled_at: isoTime,
  }),
  RetryExpedited: z.object({
    v: v1,
    message_id: z.string().min(1),
    expedited_at: isoTime,
  }),
  RetryCancelled: z.object({
    v: v1,
    message_id: z.string().min(1),
    cancelled_at: isoTime,
  }),
  DeliveryAttemptAbandoned: z.object({
    v: v1,
    message_id: z.string().min(1),
    attempt_no: positiveInt,
    attempt_id: z.string().min(1),
    lease_until: isoTime,
    /** Always true today: an abandoned attempt counts as a retryable failure. */
    retryable: z.boolean(),
    abandoned_at: isoTime,
  }),
  MessageFailedPermanently: z.object({
    v: v1,
    message_id: z.string().min(1),
    reason: z.enum(permanentFailureReasons),
    /** Attempts made in the delivery cycle that ended here. */
    attempt_count: nonNegativeInt,
    failed_at: isoTime,
  }),
  MessageReplayed: z.object({
    v: v1,
    message_id: z.string().min(1),
    from_dlq: z.boolean(),
    /** Replays counted toward the per-message limit, this one included (DLQ replays are not counted). */
    replay_count: nonNegativeInt,
    replayed_at: isoTime,
  }),
} as const;

export type MessageEvent = EventsOf<typeof messageEventSchemas>;
export type MessageEventType = MessageEvent['type'];
export type MessageEventData<T extends MessageEventType> = Extract<MessageEvent, { type: T }>['data'];

export const messageEventTypes = Object.keys(messageEventSchemas) as MessageEventType[];
export const decodeMessageEvent = makeDecoder(messageEventSchemas);
