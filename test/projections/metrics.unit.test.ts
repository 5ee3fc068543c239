import { describe, expect, it } from 'vitest';
import { evolveMetricsBucket, type MessageRefRow } from '../../src/projections/metrics/evolve.js';
import * as e from './support/events.js';

const ref: MessageRefRow = { message_id: 'm', project_id: 'proj_1', endpoint_id: 'ep_1' };
const fold = (...events: ReturnType<typeof e.queued>[]) => events.reduce((row, event) => evolveMetricsBucket(row, { ref, event }), null as ReturnType<typeof evolveMetricsBucket>);

describe('metrics evolve', () => {
  it('counts a message, its retries, its success and the latency of every attempt in the minute the events say', () => {
    const row = fold(e.queued('m', 1), e.started('m', 1, 2), e.failed('m', 1, 3, 503, 100), e.retryScheduled('m', 1, 3, 30), e.started('m', 2, 33), e.succeeded('m', 2, 34, 50));
    expect(row).toEqual({
      project_id: 'proj_1', endpoint_id: 'ep_1', bucket_start: e.T0, total: 1, succeeded: 1, failed: 0, retries: 1, latency_sum: 150, latency_count: 2,
    });
  });

  it('a permanent failure counts as failed; events that count nothing leave no bucket', () => {
    expect(fold(e.failedPermanently('m', 5, 3))).toMatchObject({ failed: 1, total: 0 });
    expect(fold(e.started('m', 1, 1), e.expedited('m', 2), e.replayed('m', 3))).toBeNull();
  });
});
