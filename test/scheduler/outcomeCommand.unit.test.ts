import { describe, expect, it } from 'vitest';
import { decideMessage, type MessageState } from '../../src/domain/message/index.js';
import { evolveMessage, initialMessageState } from '../../src/domain/message/state.js';
import { defaultRetryPolicy } from '../../src/domain/retryPolicy.js';
import type { DeliveryOutcome } from '../../src/scheduler/deliveryOutcome.js';
import { outcomeCommand } from '../../src/scheduler/outcomeCommand.js';

/** What each delivery outcome becomes in the log, through the real decider. */
const now = '2026-11-28T00:00:10.000Z';
const requestHeaders = { 'X-Webhook-Id': 'm1', 'X-Webhook-Attempt': '1' };

function delivering(): MessageState {
  let state = initialMessageState();
  state = evolveMessage(state, {
    type: 'MessageQueued',
    data: { v: 1, message_id: 'm1', project_id: 'p', endpoint_id: 'e', payload: '{}', payload_sha256: 'ab'.repeat(32), size_bytes: 2, content_type: 'application/json', headers: {}, queued_at: '2026-11-28T00:00:00.000Z' },
  });
  return evolveMessage(state, {
    type: 'DeliveryAttemptStarted',
    data: { v: 1, message_id: 'm1', attempt_no: 1, attempt_id: 'a1', started_at: '2026-11-28T00:00:01.000Z', lease_until: '2026-11-28T00:01:01.000Z' },
  });
}

const response = (status: number, extra: Partial<Extract<DeliveryOutcome, { kind: 'response' }>> = {}): DeliveryOutcome => ({
  kind: 'response', status, latencyMs: 12.6, headers: { 'content-type': 'text/plain' }, headersTruncated: false, bodyExcerpt: 'body',
  bodyTruncated: false, retryAfter: undefined, resolvedIp: '127.0.0.1', requestHeaders, ...extra,
});
const error = (reason: Extract<DeliveryOutcome, { kind: 'error' }>['reason']): DeliveryOutcome => ({ kind: 'error', reason, message: `failed: ${reason}`, latencyMs: 5, requestHeaders });
const decide = (outcome: DeliveryOutcome) => decideMessage(outcomeCommand(outcome, 'a1', now), delivering(), defaultRetryPolicy);

describe('outcomeCommand', () => {
  it('records a 2xx as a success with status, rounded latency, capped headers, excerpt and request headers', () => {
    expect(decide(response(204))).toEqual([
      expect.objectContaining({
        type: 'DeliveryAttemptSucceeded',
        data: expect.objectContaining({ response_status: 204, latency_ms: 13, response_headers: { 'content-type': 'text/plain' }, response_excerpt: 'body', request_headers: requestHeaders }),
      }),
    ]);
  });

  it('passes Retry-After through so a 429 waits at least that long', () => {
    const [failed, retry] = decide(response(429, { retryAfter: '120' }));
    expect(failed?.data).toMatchObject({ response_status: 429, retry_after_seconds: 120, retryable: true });
    expect(retry).toMatchObject({ type: 'RetryScheduled', data: { retry_type: 'fast', retry_after_seconds: 120 } });
  });

  it('sends a 3xx (redirects are not followed) and a 404 to failed_permanent', () => {
    for (const status of [301, 404]) expect(decide(response(status)).map((e) => e.type)).toEqual(['DeliveryAttemptFailed', 'MessageFailedPermanently']);
  });

  it('retries timeouts, network, DNS and TLS failures, with the error text kept', () => {
    for (const reason of ['timeout', 'network', 'dns', 'tls'] as const) {
      const [failed, retry] = decide(error(reason));
      expect(failed?.data).toMatchObject({ error: reason, error_text: `failed: ${reason}`, retryable: true, latency_ms: 5 });
      expect(retry?.type).toBe('RetryScheduled');
    }
  });

  it('treats a refused address and an undeliverable URL or header set as final, recorded as blocked', () => {
    for (const reason of ['blocked', 'invalid_url', 'invalid_request'] as const) {
      const [failed, final] = decide(error(reason));
      expect(failed?.data).toMatchObject({ error: 'blocked', error_text: `failed: ${reason}`, retryable: false });
      expect(final).toMatchObject({ type: 'MessageFailedPermanently', data: { reason: 'non_retryable' } });
    }
  });
});
