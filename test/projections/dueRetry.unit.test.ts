import { describe, it } from 'vitest';
import { evolveDueRetry } from '../../src/projections/dueRetry/evolve.js';
import { evolveSpec } from './support/given.js';
import * as e from './support/events.js';

const given = evolveSpec(evolveDueRetry);
const M = 'msg_1';
const ms = (seconds: number) => e.T0 + seconds * 1000;
const row = { message_id: M, project_id: 'proj_1', endpoint_id: 'ep_1', attempt_no: 0, lease_until: null, expedited: false };

describe('due-retry evolve', () => {
  it('a queued message is due at once', () => {
    given().when(e.queued(M, 5)).then({ ...row, status: 'queued', due_at: ms(5) });
  });

  it('an attempt start moves it to the lease deadline, so a vanished worker releases it', () => {
    given(e.queued(M, 0)).when(e.started(M, 1, 10, 60)).then({ ...row, status: 'delivering', due_at: ms(70), attempt_no: 1, lease_until: ms(70) });
  });

  it('a scheduled retry is due at next_attempt_at', () => {
    given(e.queued(M, 0), e.started(M, 1, 1), e.failed(M, 1, 2))
      .when(e.retryScheduled(M, 1, 2, 1800))
      .then({ ...row, status: 'pending_retry', due_at: ms(1802), attempt_no: 1 });
  });

  it('retry-now moves it to the expedite time', () => {
    given(e.queued(M, 0), e.started(M, 1, 1), e.failed(M, 1, 2), e.retryScheduled(M, 1, 2, 1800))
      .when(e.expedited(M, 100))
      .then({ ...row, status: 'pending_retry', due_at: ms(100), attempt_no: 1, expedited: true });
  });

  it('success and permanent failure take it off the queue', () => {
    given(e.queued(M, 0), e.started(M, 1, 1)).when(e.succeeded(M, 1, 2)).then({ ...row, status: 'settled', due_at: null, attempt_no: 1 });
    given(e.queued(M, 0), e.started(M, 1, 1), e.failed(M, 1, 2, 404))
      .when(e.failedPermanently(M, 2, 1, 'non_retryable'))
      .then({ ...row, status: 'settled', due_at: null, attempt_no: 1 });
  });

  it('a replay puts a settled message back, due at the replay time', () => {
    given(e.queued(M, 0), e.started(M, 1, 1), e.succeeded(M, 1, 2))
      .when(e.replayed(M, 50))
      .then({ ...row, status: 'queued', due_at: ms(50), attempt_no: 1 });
  });

  it('an expedite that arrives after the message settled changes nothing', () => {
    given(e.queued(M, 0), e.started(M, 1, 1), e.succeeded(M, 1, 2)).when(e.expedited(M, 3)).then({ ...row, status: 'settled', due_at: null, attempt_no: 1 });
  });

  it('events of a message never queued leave no row', () => {
    given().when(e.started(M, 1, 1)).then(null);
  });
});
