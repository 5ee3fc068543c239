import type { AnyDomainEvent } from '../../../src/domain/events.js';
import type { MessageEvent } from '../../../src/domain/message/events.js';
import { endpointStream, messageStream, projectStream } from '../../../src/domain/streams.js';

/** Event builders for projection tests: times are seconds after T0. */
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');
export const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();
export const HASH = 'ab'.repeat(32);

export const queued = (message_id: string, seconds: number, endpoint_id = 'ep_1', project_id = 'proj_1'): MessageEvent => ({
  type: 'MessageQueued',
  data: {
    v: 1, message_id, project_id, endpoint_id, payload: '{"a":1}', payload_sha256: HASH, size_bytes: 7,
    content_type: 'application/json', headers: {}, queued_at: at(seconds),
  },
});
export const started = (message_id: string, attempt_no: number, seconds: number, leaseSeconds = 60): MessageEvent => ({
  type: 'DeliveryAttemptStarted',
  data: { v: 1, message_id, attempt_no, attempt_id: `att_${attempt_no}`, started_at: at(seconds), lease_until: at(seconds + leaseSeconds) },
});
export const succeeded = (message_id: string, attempt_no: number, seconds: number, latency_ms = 20): MessageEvent => ({
  type: 'DeliveryAttemptSucceeded',
  data: { v: 1, message_id, attempt_no, attempt_id: `att_${attempt_no}`, response_status: 200, latency_ms, succeeded_at: at(seconds) },
});
export const failed = (message_id: string, attempt_no: number, seconds: number, response_status = 503, latency_ms = 30): MessageEvent => ({
  type: 'DeliveryAttemptFailed',
  data: {
    v: 1, message_id, attempt_no, attempt_id: `att_${attempt_no}`, response_status, latency_ms,
    retryable: response_status >= 500 || response_status === 429, failed_at: at(seconds),
  },
});
export const timedOut = (message_id: string, attempt_no: number, seconds: number): MessageEvent => ({
  type: 'DeliveryAttemptFailed',
  data: { v: 1, message_id, attempt_no, attempt_id: `att_${attempt_no}`, error: 'timeout', error_text: 'connection timeout', latency_ms: 5000, retryable: true, failed_at: at(seconds) },
});
export const retryScheduled = (message_id: string, attempt_no: number, seconds: number, delay: number): MessageEvent => ({
  type: 'RetryScheduled',
  data: { v: 1, message_id, attempt_no, next_attempt_at: at(seconds + delay), retry_type: 'slow', retry_after_seconds: delay, scheduled_at: at(seconds) },
});
export const expedited = (message_id: string, seconds: number): MessageEvent => ({
  type: 'RetryExpedited', data: { v: 1, message_id, expedited_at: at(seconds) },
});
export const cancelled = (message_id: string, seconds: number): MessageEvent => ({
  type: 'RetryCancelled', data: { v: 1, message_id, cancelled_at: at(seconds) },
});
export const abandoned = (message_id: string, attempt_no: number, seconds: number): MessageEvent => ({
  type: 'DeliveryAttemptAbandoned',
  data: { v: 1, message_id, attempt_no, attempt_id: `att_${attempt_no}`, lease_until: at(seconds), retryable: true, abandoned_at: at(seconds) },
});
export const failedPermanently = (message_id: string, seconds: number, attempt_count: number, reason: 'non_retryable' | 'attempts_exhausted' | 'cancelled' = 'attempts_exhausted'): MessageEvent => ({
  type: 'MessageFailedPermanently', data: { v: 1, message_id, reason, attempt_count, failed_at: at(seconds) },
});
export const replayed = (message_id: string, seconds: number, replay_count = 1, from_dlq = false): MessageEvent => ({
  type: 'MessageReplayed', data: { v: 1, message_id, from_dlq, replay_count, replayed_at: at(seconds) },
});

export const endpointCreated = (endpoint_id: string, seconds: number, project_id = 'proj_1', url = `https://example.com/${endpoint_id}`): AnyDomainEvent => ({
  type: 'EndpointCreated',
  data: {
    v: 1, endpoint_id, project_id, url, description: 'hooks', headers: { 'X-A': '1' }, rate_limit_rps: 0, burst: 0,
    signing_key: { key_id: 'sk_1', secret: 'whsec_secret', key_hint: 'cret', created_at: at(seconds) }, created_at: at(seconds),
  },
});
export const endpointPaused = (endpoint_id: string, seconds: number): AnyDomainEvent => ({ type: 'EndpointPaused', data: { v: 1, endpoint_id, paused_at: at(seconds) } });
export const endpointResumed = (endpoint_id: string, seconds: number): AnyDomainEvent => ({ type: 'EndpointResumed', data: { v: 1, endpoint_id, resumed_at: at(seconds) } });
export const endpointUpdated = (endpoint_id: string, seconds: number, changes: Record<string, unknown>): AnyDomainEvent =>
  ({ type: 'EndpointUpdated', data: { v: 1, endpoint_id, changes, updated_at: at(seconds) } }) as AnyDomainEvent;
export const endpointDeleted = (endpoint_id: string, seconds: number): AnyDomainEvent => ({ type: 'EndpointDeleted', data: { v: 1, endpoint_id, deleted_at: at(seconds) } });

export const projectCreated = (project_id: string, seconds: number): AnyDomainEvent => ({ type: 'ProjectCreated', data: { v: 1, project_id, name: `Project ${project_id}`, created_at: at(seconds) } });
export const apiKeyCreated = (project_id: string, key_id: string, key_sha256: string, seconds: number): AnyDomainEvent => ({
  type: 'ApiKeyCreated', data: { v: 1, project_id, key_id, prefix: 'hb_live_abc', key_sha256, label: 'backend', created_at: at(seconds) },
});
export const apiKeyDeleted = (project_id: string, key_id: string, seconds: number): AnyDomainEvent => ({ type: 'ApiKeyDeleted', data: { v: 1, project_id, key_id, deleted_at: at(seconds) } });

/** The stream an event belongs to, as the service would append it. */
export function streamOf(event: AnyDomainEvent): string {
  const data = event.data as Record<string, unknown>;
  if (typeof data['message_id'] === 'string' && event.type !== 'IdempotencyKeyClaimed') return messageStream(data['message_id']);
  if (typeof data['endpoint_id'] === 'string') return endpointStream(data['endpoint_id']);
  return projectStream(data['project_id'] as string);
}
