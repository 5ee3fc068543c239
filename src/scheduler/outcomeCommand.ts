import type { DeliveryError } from '../domain/message/events.js';
import type { RecordAttemptFailed, RecordAttemptSucceeded } from '../domain/message/decide.js';
import type { DeliveryErrorReason, DeliveryOutcome } from './deliveryOutcome.js';

/**
 * What the deliverer saw, as the command that records it. The domain then decides what follows
 * (RetryScheduled or MessageFailedPermanently) from the status or error class.
 */
export function outcomeCommand(outcome: DeliveryOutcome, attemptId: string, now: string): RecordAttemptSucceeded | RecordAttemptFailed {
  if (outcome.kind === 'response') {
    const recorded = {
      attempt_id: attemptId,
      now,
      latency_ms: Math.max(0, Math.round(outcome.latencyMs)),
      response_headers: outcome.headers,
      response_excerpt: outcome.bodyExcerpt,
      request_headers: outcome.requestHeaders,
    };
    if (outcome.status >= 200 && outcome.status <= 299) return { type: 'RecordAttemptSucceeded', response_status: outcome.status, ...recorded };
    return {
      type: 'RecordAttemptFailed',
      outcome: { status: outcome.status },
      ...(outcome.retryAfter === undefined ? {} : { retry_after: outcome.retryAfter }),
      ...recorded,
    };
  }
  return {
    type: 'RecordAttemptFailed',
    attempt_id: attemptId,
    now,
    outcome: { error: errorClass(outcome.reason) },
    error_text: outcome.message,
    latency_ms: Math.max(0, Math.round(outcome.latencyMs)),
    ...(outcome.requestHeaders ? { request_headers: outcome.requestHeaders } : {}),
  };
}

/**
 * The domain knows five error classes. An endpoint URL or header set that cannot be sent at all
 * is recorded as `blocked`: like an SSRF refusal, retrying cannot change it, so it is final; the
 * error_text says what was wrong.
 */
function errorClass(reason: DeliveryErrorReason): DeliveryError {
  switch (reason) {
    case 'timeout':
    case 'network':
    case 'dns':
    case 'tls':
    case 'blocked':
      return reason;
    case 'invalid_url':
    case 'invalid_request':
      return 'blocked';
    default: {
      const unreachable: never = reason;
      return unreachable;
    }
  }
}
