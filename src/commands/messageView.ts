import { decodeMessageEvent, evolveMessage, initialMessageState, type MessageEvent, type MessageState } from '../domain/index.js';
import type { RecordedEvent } from '../eventstore/port.js';

/**
 * Read-side folds over one message stream, for GET /v1/messages/{id}, its attempts, and
 * the auditors' as_of view. They reuse the domain's evolve for the lifecycle (so the API
 * never disagrees with the decider about a status) and add what callers read but the
 * decider does not need: times, the latest answer, the last error.
 */
export interface MessageView {
  id: string;
  project_id: string;
  endpoint_id: string;
  status: Exclude<MessageState['status'], 'none'>;
  attempt_count: number;
  replay_count: number;
  content_type: string;
  size_bytes: number;
  payload_sha256: string;
  idempotency_key?: string;
  retention_hours?: number;
  next_attempt_at?: string;
  last_error?: string;
  response_status?: number;
  response_latency_ms?: number;
  created_at: string;
  updated_at: string;
}

export interface AttemptView {
  id: string;
  attempt_no: number;
  started_at: string;
  finished_at?: string;
  outcome: 'in_progress' | 'succeeded' | 'failed' | 'abandoned';
  response_status?: number;
  response_latency_ms?: number;
  processing_ms: null;
  error_text?: string;
  response_headers?: Record<string, string>;
  request_headers?: Record<string, string>;
  retry_type?: 'fast' | 'slow';
  retry_after_seconds?: number;
}

/** When the event says it happened (every message event carries its own time). */
export function eventTime(event: MessageEvent): string {
  switch (event.type) {
    case 'MessageQueued':
      return event.data.queued_at;
    case 'DeliveryAttemptStarted':
      return event.data.started_at;
    case 'DeliveryAttemptSucceeded':
      return event.data.succeeded_at;
    case 'DeliveryAttemptFailed':
      return event.data.failed_at;
    case 'RetryScheduled':
      return event.data.scheduled_at;
    case 'RetryExpedited':
      return event.data.expedited_at;
    case 'RetryCancelled':
      return event.data.cancelled_at;
    case 'DeliveryAttemptAbandoned':
      return event.data.abandoned_at;
    case 'MessageFailedPermanently':
      return event.data.failed_at;
    case 'MessageReplayed':
      return event.data.replayed_at;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

const failureText = (data: Extract<MessageEvent, { type: 'DeliveryAttemptFailed' }>['data']): string =>
  data.error_text ?? (data.error !== undefined ? `${data.error} error` : `HTTP ${String(data.response_status)}`);

export const decodeMessageStream = (recorded: readonly RecordedEvent[]): MessageEvent[] => recorded.map((r) => decodeMessageEvent(r));

interface Latest {
  updated_at: string;
  last_error?: string;
  response_status?: number;
  response_latency_ms?: number;
}

/** The §3.2 message object, or null when the events hold no message (an empty stream). */
export function messageView(events: readonly MessageEvent[]): MessageView | null {
  let state = initialMessageState();
  const latest: Latest = { updated_at: '' };
  for (const event of events) {
    state = evolveMessage(state, event);
    latest.updated_at = eventTime(event);
    if (event.type === 'DeliveryAttemptSucceeded') {
      latest.response_status = event.data.response_status;
      latest.response_latency_ms = event.data.latency_ms;
      delete latest.last_error;
    } else if (event.type === 'DeliveryAttemptFailed') {
      latest.last_error = failureText(event.data);
      latest.response_latency_ms = event.data.latency_ms;
      if (event.data.response_status === undefined) delete latest.response_status;
      else latest.response_status = event.data.response_status;
    } else if (event.type === 'DeliveryAttemptAbandoned') {
      latest.last_error = 'attempt abandoned: no outcome before its lease expired';
    }
  }
  const queued = state.queued;
  if (state.status === 'none' || queued === null) return null;
  return {
    id: state.message_id,
    project_id: state.project_id,
    endpoint_id: state.endpoint_id,
    status: state.status,
    attempt_count: state.attempt_count,
    replay_count: state.replay_count,
    content_type: queued.content_type,
    size_bytes: queued.size_bytes,
    payload_sha256: queued.payload_sha256,
    ...(queued.idempotency_key === undefined ? {} : { idempotency_key: queued.idempotency_key }),
    ...(queued.retention_hours === undefined ? {} : { retention_hours: queued.retention_hours }),
    ...(state.status === 'pending_retry' && state.next_attempt_at !== null
      ? { next_attempt_at: state.expedited_at ?? state.next_attempt_at }
      : {}),
    ...(latest.last_error === undefined ? {} : { last_error: latest.last_error }),
    ...(latest.response_status === undefined ? {} : { response_status: latest.response_status }),
    ...(latest.response_latency_ms === undefined ? {} : { response_latency_ms: latest.response_latency_ms }),
    created_at: queued.queued_at,
    updated_at: latest.updated_at,
  };
}

/** Attempts in order, each with its outcome and the retry its failure led to. */
export function attemptViews(events: readonly MessageEvent[]): AttemptView[] {
  const attempts: AttemptView[] = [];
  const byNo = new Map<number, AttemptView>();
  for (const event of events) {
    switch (event.type) {
      case 'DeliveryAttemptStarted': {
        const attempt: AttemptView = { id: event.data.attempt_id, attempt_no: event.data.attempt_no, started_at: event.data.started_at, outcome: 'in_progress', processing_ms: null };
        attempts.push(attempt);
        byNo.set(attempt.attempt_no, attempt);
        break;
      }
      case 'DeliveryAttemptSucceeded': {
        const a = byNo.get(event.data.attempt_no);
        if (a === undefined) break;
        Object.assign(a, {
          outcome: 'succeeded',
          finished_at: event.data.succeeded_at,
          response_status: event.data.response_status,
          response_latency_ms: event.data.latency_ms,
          ...(event.data.response_headers ? { response_headers: event.data.response_headers } : {}),
          ...(event.data.request_headers ? { request_headers: event.data.request_headers } : {}),
        });
        break;
      }
      case 'DeliveryAttemptFailed': {
        const a = byNo.get(event.data.attempt_no);
        if (a === undefined) break;
        Object.assign(a, {
          outcome: 'failed',
          finished_at: event.data.failed_at,
          ...(event.data.response_status === undefined ? {} : { response_status: event.data.response_status }),
          response_latency_ms: event.data.latency_ms,
          error_text: failureText(event.data),
          ...(event.data.response_headers ? { response_headers: event.data.response_headers } : {}),
          ...(event.data.request_headers ? { request_headers: event.data.request_headers } : {}),
        });
        break;
      }
      case 'DeliveryAttemptAbandoned': {
        const a = byNo.get(event.data.attempt_no);
        if (a !== undefined) Object.assign(a, { outcome: 'abandoned', finished_at: event.data.abandoned_at, error_text: 'attempt abandoned: no outcome before its lease expired' });
        break;
      }
      case 'RetryScheduled': {
        const a = byNo.get(event.data.attempt_no);
        if (a !== undefined) Object.assign(a, { retry_type: event.data.retry_type, retry_after_seconds: event.data.retry_after_seconds });
        break;
      }
      case 'MessageQueued':
      case 'RetryExpedited':
      case 'RetryCancelled':
      case 'MessageFailedPermanently':
      case 'MessageReplayed':
        break;
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  }
  return attempts;
}
