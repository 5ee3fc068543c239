import type { MessageStatus } from '../../domain/message/state.js';
import type { MessageEvent } from '../../domain/message/events.js';
import { ms } from '../projection.js';

/**
 * messages: one row per message, the fields GET /v1/logs, the DLQ list and replay-all
 * answer with. Times are ms epoch (null when not set).
 */
export interface MessageRow {
  readonly message_id: string;
  readonly project_id: string;
  readonly endpoint_id: string;
  readonly status: MessageStatus;
  readonly attempt_count: number;
  readonly replay_count: number;
  readonly content_type: string;
  readonly size_bytes: number;
  readonly payload_sha256: string;
  readonly idempotency_key: string | null;
  readonly created_at: number;
  readonly updated_at: number;
  readonly delivered_at: number | null;
  readonly failed_at: number | null;
  readonly next_attempt_at: number | null;
  readonly last_error: string | null;
  readonly response_status: number | null;
  readonly response_latency_ms: number | null;
}

/** last_error's text for a failure: the adapter's words, else the status or the error kind. */
const errorText = (data: Extract<MessageEvent, { type: 'DeliveryAttemptFailed' }>['data']): string =>
  data.error_text ?? (data.response_status !== undefined ? `HTTP ${data.response_status}` : (data.error ?? 'delivery failed'));

export function evolveMessageRow(row: MessageRow | null, event: MessageEvent): MessageRow | null {
  if (event.type === 'MessageQueued') {
    const d = event.data;
    const at = ms(d.queued_at);
    return {
      message_id: d.message_id, project_id: d.project_id, endpoint_id: d.endpoint_id, status: 'queued', attempt_count: 0,
      replay_count: 0, content_type: d.content_type, size_bytes: d.size_bytes, payload_sha256: d.payload_sha256,
      idempotency_key: d.idempotency_key ?? null, created_at: at, updated_at: at, delivered_at: null, failed_at: null,
      next_attempt_at: null, last_error: null, response_status: null, response_latency_ms: null,
    };
  }
  if (row === null) return null;
  switch (event.type) {
    case 'DeliveryAttemptStarted':
      return { ...row, status: 'delivering', attempt_count: event.data.attempt_no, next_attempt_at: null, updated_at: ms(event.data.started_at) };
    case 'DeliveryAttemptSucceeded': {
      const at = ms(event.data.succeeded_at);
      return {
        ...row, status: 'succeeded', delivered_at: at, updated_at: at, last_error: null,
        response_status: event.data.response_status, response_latency_ms: event.data.latency_ms,
      };
    }
    case 'DeliveryAttemptFailed':
      return {
        ...row, updated_at: ms(event.data.failed_at), last_error: errorText(event.data),
        response_status: event.data.response_status ?? null, response_latency_ms: event.data.latency_ms,
      };
    case 'DeliveryAttemptAbandoned':
      return { ...row, updated_at: ms(event.data.abandoned_at), last_error: 'attempt abandoned: lease expired' };
    case 'RetryScheduled':
      return { ...row, status: 'pending_retry', next_attempt_at: ms(event.data.next_attempt_at), updated_at: ms(event.data.scheduled_at) };
    case 'RetryExpedited':
      return { ...row, next_attempt_at: ms(event.data.expedited_at), updated_at: ms(event.data.expedited_at) };
    case 'RetryCancelled':
      return { ...row, next_attempt_at: null, updated_at: ms(event.data.cancelled_at) };
    case 'MessageFailedPermanently': {
      const at = ms(event.data.failed_at);
      return { ...row, status: 'failed_permanent', failed_at: at, next_attempt_at: null, updated_at: at };
    }
    case 'MessageReplayed':
      return { ...row, status: 'queued', replay_count: event.data.replay_count, failed_at: null, next_attempt_at: null, updated_at: ms(event.data.replayed_at) };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
