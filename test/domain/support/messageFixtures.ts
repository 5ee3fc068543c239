import type { MessageEvent } from '../../../src/domain/message/index.js';

export const T0 = '2026-01-01T00:00:00.000Z';
export const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();
export const MID = '01935abc-def0-7123-4567-890abcdef012';
export const HASH = 'ab'.repeat(32);

export const queued: MessageEvent = {
  type: 'MessageQueued',
  data: {
    v: 1, message_id: MID, project_id: 'proj_1', endpoint_id: 'ep_1', payload: '{"event":"order.created"}', payload_sha256: HASH,
    size_bytes: 25, content_type: 'application/json', headers: {}, queued_at: T0,
  },
};

export const started = (attempt_no: number, seconds: number, attempt_id = `att_${attempt_no}`): MessageEvent => ({
  type: 'DeliveryAttemptStarted',
  data: { v: 1, message_id: MID, attempt_no, attempt_id, started_at: at(seconds), lease_until: at(seconds + 60) },
});

export const failedWith = (attempt_no: number, seconds: number, response_status: number): MessageEvent => ({
  type: 'DeliveryAttemptFailed',
  data: { v: 1, message_id: MID, attempt_no, attempt_id: `att_${attempt_no}`, response_status, latency_ms: 10, retryable: response_status === 408 || response_status === 429 || response_status >= 500, failed_at: at(seconds) },
});

export const retryScheduled = (attempt_no: number, seconds: number, delay: number, retry_type: 'fast' | 'slow'): MessageEvent => ({
  type: 'RetryScheduled',
  data: { v: 1, message_id: MID, attempt_no, next_attempt_at: at(seconds + delay), retry_type, retry_after_seconds: delay, scheduled_at: at(seconds) },
});

export const succeededAt = (attempt_no: number, seconds: number): MessageEvent => ({
  type: 'DeliveryAttemptSucceeded',
  data: { v: 1, message_id: MID, attempt_no, attempt_id: `att_${attempt_no}`, response_status: 200, latency_ms: 5, succeeded_at: at(seconds) },
});

export const failedPermanently = (seconds: number, reason: 'non_retryable' | 'attempts_exhausted' | 'cancelled', attempt_count: number): MessageEvent => ({
  type: 'MessageFailedPermanently',
  data: { v: 1, message_id: MID, reason, attempt_count, failed_at: at(seconds) },
});

/** A message in pending_retry after one 503 (slow retry due at 1800 s + 10 s). */
export const pendingSlow: MessageEvent[] = [queued, started(1, 0), failedWith(1, 10, 503), retryScheduled(1, 10, 1800, 'slow')];
/** A message in pending_retry after one 429 (fast retry due at 30 s + 10 s). */
export const pendingFast: MessageEvent[] = [queued, started(1, 0), failedWith(1, 10, 429), retryScheduled(1, 10, 30, 'fast')];
export const succeeded: MessageEvent[] = [queued, started(1, 0), succeededAt(1, 1)];
export const dead: MessageEvent[] = [queued, started(1, 0), failedWith(1, 1, 404), failedPermanently(1, 'non_retryable', 1)];
export const delivering: MessageEvent[] = [queued, started(1, 0)];
