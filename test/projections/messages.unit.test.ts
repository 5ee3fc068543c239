import { describe, expect, it } from 'vitest';
import { evolveMessageRow, type MessageRow } from '../../src/projections/messages/evolve.js';
import { evolveSpec } from './support/given.js';
import * as e from './support/events.js';

const given = evolveSpec(evolveMessageRow);
const M = 'msg_1';
const ms = (seconds: number) => e.T0 + seconds * 1000;
const fresh: MessageRow = {
  message_id: M, project_id: 'proj_1', endpoint_id: 'ep_1', status: 'queued', attempt_count: 0, replay_count: 0,
  content_type: 'application/json', size_bytes: 7, payload_sha256: e.HASH, idempotency_key: null, created_at: ms(0), updated_at: ms(0),
  delivered_at: null, failed_at: null, next_attempt_at: null, last_error: null, response_status: null, response_latency_ms: null,
};

describe('messages evolve', () => {
  it('a queued message is a fresh row', () => {
    given().when(e.queued(M, 0)).then(fresh);
  });

  it('a failed attempt records the error and the response; the retry sets status and next_attempt_at', () => {
    given(e.queued(M, 0), e.started(M, 1, 1), e.timedOut(M, 1, 6))
      .when(e.retryScheduled(M, 1, 6, 1800))
      .then({ ...fresh, status: 'pending_retry', attempt_count: 1, updated_at: ms(6), next_attempt_at: ms(1806), last_error: 'connection timeout', response_latency_ms: 5000 });
  });

  it('an HTTP failure without text reads as its status', () => {
    const row = given(e.queued(M, 0), e.started(M, 1, 1)).when(e.failed(M, 1, 2, 503, 40)).row();
    expect(row).toMatchObject({ last_error: 'HTTP 503', response_status: 503, response_latency_ms: 40, status: 'delivering' });
  });

  it('success after a retry clears the error and sets delivered_at', () => {
    given(e.queued(M, 0), e.started(M, 1, 1), e.failed(M, 1, 2), e.retryScheduled(M, 1, 2, 60), e.started(M, 2, 62))
      .when(e.succeeded(M, 2, 63, 120))
      .then({ ...fresh, status: 'succeeded', attempt_count: 2, updated_at: ms(63), delivered_at: ms(63), response_status: 200, response_latency_ms: 120 });
  });

  it('permanent failure lands in the DLQ with failed_at; a DLQ replay re-queues it', () => {
    const history = [e.queued(M, 0), e.started(M, 1, 1), e.failed(M, 1, 2, 404), e.failedPermanently(M, 2, 1, 'non_retryable')];
    expect(given(...history.slice(0, 3)).when(history[3]!).row()).toMatchObject({ status: 'failed_permanent', failed_at: ms(2), last_error: 'HTTP 404' });
    expect(given(...history).when(e.replayed(M, 10, 0, true)).row()).toMatchObject({ status: 'queued', failed_at: null, replay_count: 0, attempt_count: 1, updated_at: ms(10) });
  });

  it('retry-now shows the expedite time as the next attempt; cancel clears it', () => {
    const pending = [e.queued(M, 0), e.started(M, 1, 1), e.failed(M, 1, 2), e.retryScheduled(M, 1, 2, 600)];
    expect(given(...pending).when(e.expedited(M, 30)).row()).toMatchObject({ next_attempt_at: ms(30), status: 'pending_retry' });
    expect(given(...pending).when(e.cancelled(M, 30)).row()).toMatchObject({ next_attempt_at: null });
  });

  it('a replay counts toward replay_count', () => {
    expect(given(e.queued(M, 0), e.started(M, 1, 1), e.succeeded(M, 1, 2)).when(e.replayed(M, 5, 1)).row()).toMatchObject({ status: 'queued', replay_count: 1, delivered_at: ms(2) });
  });
});
