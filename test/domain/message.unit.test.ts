import { describe, expect, it } from 'vitest';
import { dueAt, messageDecider, type MessageCommand, type RecordAttemptFailed, type MessageEvent, type MessageState } from '../../src/domain/message/index.js';
import { defaultRetryPolicy } from '../../src/domain/retryPolicy.js';
import { specFor } from './support/spec.js';
import {
  HASH, MID, T0, at, dead, delivering, failedPermanently, failedWith, pendingFast, pendingSlow, queued, retryScheduled, started, succeeded, succeededAt,
} from './support/messageFixtures.js';

const decider = messageDecider(defaultRetryPolicy);
const given = specFor<MessageCommand, MessageEvent, MessageState>(decider);
const fold = (events: readonly MessageEvent[]) => events.reduce(decider.evolve, decider.initialState());
const notFound = { code: 'NOT_FOUND', status: 404, message: 'Message not found' };
const notPending = (status: string) => ({ code: 'INVALID_STATUS', status: 400, message: `Message is not in pending_retry status (current: ${status})` });

const replayed = (seconds: number, replay_count: number, from_dlq = false): MessageEvent => ({
  type: 'MessageReplayed', data: { v: 1, message_id: MID, from_dlq, replay_count, replayed_at: at(seconds) },
});
const start = (seconds: number, attempt_id = 'att_new'): MessageCommand => ({ type: 'StartAttempt', attempt_id, lease_until: at(seconds + 60), now: at(seconds) });

describe('send', () => {
  const send: MessageCommand = {
    type: 'SendMessage', message_id: MID, project_id: 'proj_1', endpoint_id: 'ep_1', payload: '{"event":"order.created"}',
    payload_sha256: HASH, size_bytes: 25, content_type: 'application/json', headers: {}, now: T0,
  };
  it('queues a new message with its payload text byte-exact', () => given([]).when(send).then([queued]));
  it('keeps the idempotency key and retention when given', () => {
    const [event] = given([]).when({ ...send, idempotency_key: 'k1', retention_hours: 0 }).events();
    expect(event?.data).toMatchObject({ idempotency_key: 'k1', retention_hours: 0 });
  });
  it('keeps what was sent in the state, for the scheduler to deliver', () =>
    expect(fold([queued]).queued?.payload).toBe('{"event":"order.created"}'));
  it('refuses a second send on the same message id', () => given([queued]).when(send).thenRefuses({ code: 'MESSAGE_ALREADY_EXISTS', status: 409 }));
});

describe('start attempt', () => {
  it('starts the first attempt of a queued message with its lease', () =>
    given([queued]).when(start(5)).then([
      { type: 'DeliveryAttemptStarted', data: { v: 1, message_id: MID, attempt_no: 1, attempt_id: 'att_new', started_at: at(5), lease_until: at(65) } },
    ]));
  it('starts a pending retry once it is due', () => {
    const [event] = given(pendingSlow).when(start(1810)).events();
    expect(event).toMatchObject({ type: 'DeliveryAttemptStarted', data: { attempt_no: 2 } });
  });
  it('refuses a pending retry that is not due yet', () => given(pendingSlow).when(start(1809)).thenRefuses({ code: 'NOT_DUE', status: 409 }));
  it('starts an expedited retry before its due time', () => {
    const expedited: MessageEvent = { type: 'RetryExpedited', data: { v: 1, message_id: MID, expedited_at: at(20) } };
    expect(given([...pendingSlow, expedited]).when(start(21)).events()[0]?.type).toBe('DeliveryAttemptStarted');
  });
  it('refuses while another attempt holds an unexpired lease', () =>
    given(delivering).when(start(59)).thenRefuses({ code: 'DELIVERY_IN_PROGRESS', status: 409 }));
  it('abandons an expired lease (a retryable failure, slow schedule) instead of starting', () =>
    given(delivering).when(start(60)).then([
      { type: 'DeliveryAttemptAbandoned', data: { v: 1, message_id: MID, attempt_no: 1, attempt_id: 'att_1', lease_until: at(60), retryable: true, abandoned_at: at(60) } },
      retryScheduled(1, 60, 1800, 'slow'),
    ]));
  it('refuses terminal messages', () => {
    given(succeeded).when(start(100)).thenRefuses({ code: 'NOT_DELIVERABLE', status: 409 });
    given(dead).when(start(100)).thenRefuses({ code: 'NOT_DELIVERABLE', status: 409 });
  });
  it('refuses a lease that does not end after now', () =>
    given([queued]).when({ type: 'StartAttempt', attempt_id: 'a', lease_until: at(5), now: at(5) }).thenRefuses({ code: 'INVALID_REQUEST', status: 400 }));
  it('refuses a missing message', () => given([]).when(start(0)).thenRefuses(notFound));
});

describe('record outcome', () => {
  const fail = (outcome: { status: number } | { error: 'timeout' | 'network' | 'blocked' }, seconds = 10, retry_after?: string): RecordAttemptFailed => ({
    type: 'RecordAttemptFailed', attempt_id: 'att_1', outcome, latency_ms: 10, now: at(seconds), ...(retry_after === undefined ? {} : { retry_after }),
  });
  it('records a 2xx as success', () =>
    given(delivering).when({ type: 'RecordAttemptSucceeded', attempt_id: 'att_1', response_status: 200, latency_ms: 5, now: at(1) }).then([succeededAt(1, 1)]));
  it('refuses an outcome for an attempt that is not current (lost lease)', () =>
    given(delivering).when({ type: 'RecordAttemptSucceeded', attempt_id: 'att_other', response_status: 200, latency_ms: 5, now: at(1) })
      .thenRefuses({ code: 'ATTEMPT_NOT_CURRENT', status: 409 }));
  it('a 503 schedules the first slow retry in the same result', () =>
    given(delivering).when(fail({ status: 503 })).then([failedWith(1, 10, 503), retryScheduled(1, 10, 1800, 'slow')]));
  it('a 429 schedules the first fast retry', () =>
    given(delivering).when(fail({ status: 429 })).then([failedWith(1, 10, 429), retryScheduled(1, 10, 30, 'fast')]));
  it('the second consecutive 429 waits fast[1]', () => {
    const events = given([...pendingFast, started(2, 40)]).when({ ...fail({ status: 429 }, 50), attempt_id: 'att_2' }).events();
    expect(events[1]).toEqual(retryScheduled(2, 50, 60, 'fast'));
  });
  it('a timeout is retryable on the slow schedule, recorded without a status', () => {
    const events = given(delivering).when(fail({ error: 'timeout' })).events();
    expect(events[0]?.data).toMatchObject({ error: 'timeout', retryable: true });
    expect(events[0]?.data).not.toHaveProperty('response_status');
    expect(events[1]).toEqual(retryScheduled(1, 10, 1800, 'slow'));
  });
  it('a 404 is final at once: failure and DLQ in one result', () =>
    given(delivering).when(fail({ status: 404 })).then([failedWith(1, 10, 404), failedPermanently(10, 'non_retryable', 1)]));
  it('a blocked address is final', () => expect(given(delivering).when(fail({ error: 'blocked' })).events()[1]?.type).toBe('MessageFailedPermanently'));
  it('a 3xx is final', () => expect(given(delivering).when(fail({ status: 302 })).events()[1]?.type).toBe('MessageFailedPermanently'));
  it('Retry-After longer than the schedule is a minimum', () => {
    const events = given(delivering).when(fail({ status: 429 }, 10, '120')).events();
    expect(events[0]?.data).toMatchObject({ retry_after_seconds: 120 });
    expect(events[1]).toEqual(retryScheduled(1, 10, 120, 'fast'));
  });
  it('Retry-After shorter than the schedule does not shorten it', () =>
    expect(given(delivering).when(fail({ status: 503 }, 10, '5')).events()[1]).toEqual(retryScheduled(1, 10, 1800, 'slow')));
  it('the 8th failed attempt sends the message to the DLQ', () => {
    const history: MessageEvent[] = [queued];
    for (let n = 1; n <= 7; n++) history.push(started(n, n * 100), failedWith(n, n * 100 + 1, 500), retryScheduled(n, n * 100 + 1, 1, 'slow'));
    history.push(started(8, 900));
    given(history).when({ ...fail({ status: 500 }, 901), attempt_id: 'att_8' }).then([failedWith(8, 901, 500), failedPermanently(901, 'attempts_exhausted', 8)]);
  });
  it('refuses a 2xx recorded as a failure', () => given(delivering).when(fail({ status: 200 })).thenRefuses({ code: 'INVALID_REQUEST', status: 400 }));
});

describe('abandon', () => {
  it('lets the owner release its attempt before the lease ends', () =>
    expect(given(delivering).when({ type: 'AbandonAttempt', attempt_id: 'att_1', now: at(5) }).events().map((e) => e.type))
      .toEqual(['DeliveryAttemptAbandoned', 'RetryScheduled']));
  it('lets anyone abandon an expired lease', () =>
    expect(given(delivering).when({ type: 'AbandonAttempt', now: at(61) }).events()[0]?.type).toBe('DeliveryAttemptAbandoned'));
  it('refuses to abandon an unexpired lease without its attempt id', () =>
    given(delivering).when({ type: 'AbandonAttempt', now: at(30) }).thenRefuses({ code: 'LEASE_NOT_EXPIRED', status: 409 }));
  it('refuses when nothing is in flight', () =>
    given(pendingSlow).when({ type: 'AbandonAttempt', now: at(3000) }).thenRefuses({ code: 'ATTEMPT_NOT_CURRENT', status: 409 }));
});

describe('retry-now', () => {
  const retryNow: MessageCommand = { type: 'RetryNow', now: at(20) };
  const expedited: MessageEvent = { type: 'RetryExpedited', data: { v: 1, message_id: MID, expedited_at: at(20) } };
  it('expedites a pending retry', () => given(pendingSlow).when(retryNow).then([expedited]));
  it('is idempotent while the expedite has not been picked up', () => given([...pendingSlow, expedited]).when({ ...retryNow, now: at(25) }).then([]));
  it('consumes no attempt', () => expect(fold([...pendingSlow, expedited]).attempt_count).toBe(fold(pendingSlow).attempt_count));
  it('refuses every other status with the current status in the message', () => {
    given([queued]).when(retryNow).thenRefuses(notPending('queued'));
    given(delivering).when(retryNow).thenRefuses(notPending('delivering'));
    given(succeeded).when(retryNow).thenRefuses(notPending('succeeded'));
    given(dead).when(retryNow).thenRefuses(notPending('failed_permanent'));
  });
  it('answers a missing message, or another project\'s, as not found', () => {
    given([]).when(retryNow).thenRefuses(notFound);
    given(pendingSlow).when({ ...retryNow, project_id: 'proj_other' }).thenRefuses(notFound);
  });
});

describe('cancel', () => {
  it('moves a pending retry to the DLQ', () =>
    given(pendingSlow).when({ type: 'CancelRetry', now: at(20) }).then([
      { type: 'RetryCancelled', data: { v: 1, message_id: MID, cancelled_at: at(20) } }, failedPermanently(20, 'cancelled', 1),
    ]));
  it('refuses any other status', () => {
    given(succeeded).when({ type: 'CancelRetry', now: at(20) }).thenRefuses(notPending('succeeded'));
    given(dead).when({ type: 'CancelRetry', now: at(20) }).thenRefuses(notPending('failed_permanent'));
  });
  it('refuses a missing message', () => given([]).when({ type: 'CancelRetry', now: at(20) }).thenRefuses(notFound));
});

describe('replay', () => {
  const replay: MessageCommand = { type: 'ReplayMessage', now: at(50) };
  it('re-queues a failed message and counts the replay', () => given(dead).when(replay).then([replayed(50, 1)]));
  it('allows replaying a succeeded message (newer reference docs)', () => given(succeeded).when(replay).then([replayed(50, 1)]));
  it('gives the replayed message a fresh cycle of attempts', () => {
    const state = fold([...dead, replayed(50, 1)]);
    expect(state).toMatchObject({ status: 'queued', cycle_attempts: 0, attempt_count: 1, replay_count: 1 });
  });
  it('refuses while delivering', () => given(delivering).when(replay).thenRefuses({ code: 'DELIVERY_IN_PROGRESS', status: 409 }));
  it('refuses during a fast retry after a 429', () => given(pendingFast).when(replay).thenRefuses({ code: 'RETRY_IN_PROGRESS', status: 409 }));
  it('allows a slow pending retry to be replayed', () => given(pendingSlow).when(replay).then([replayed(50, 1)]));
  it('refuses the 11th replay', () => {
    const ten = Array.from({ length: 10 }, (_, i) => [replayed(i, i + 1), started(i + 2, i + 0.5), succeededAt(i + 2, i + 0.6)]).flat();
    given([...succeeded, ...ten]).when(replay).thenRefuses({ code: 'REPLAY_LIMIT_EXCEEDED', status: 429 });
  });
  it('refuses a missing message', () => given([]).when(replay).thenRefuses(notFound));
});

describe('replay from the DLQ', () => {
  const fromDlq: MessageCommand = { type: 'ReplayFromDlq', now: at(50) };
  it('re-queues a failed_permanent message without counting toward the limit', () => given(dead).when(fromDlq).then([replayed(50, 0, true)]));
  it('has no limit, even after the 10 counted replays are used', () => {
    const tenUsed = [...dead, replayed(40, 10), started(2, 41), failedWith(2, 42, 404), failedPermanently(42, 'non_retryable', 1)];
    given(tenUsed).when({ type: 'ReplayMessage', now: at(50) }).thenRefuses({ code: 'REPLAY_LIMIT_EXCEEDED', status: 429 });
    given(tenUsed).when(fromDlq).then([replayed(50, 10, true)]);
  });
  it('refuses anything not in the DLQ', () => {
    const notInDlq = { code: 'INVALID_REQUEST', status: 400, message: 'message is not in DLQ (must have failed_permanent status)' };
    given(succeeded).when(fromDlq).thenRefuses(notInDlq);
    given(pendingSlow).when(fromDlq).thenRefuses(notInDlq);
  });
  it('refuses a missing message', () => given([]).when(fromDlq).thenRefuses(notFound));
});

describe('dueAt', () => {
  const expedited: MessageEvent = { type: 'RetryExpedited', data: { v: 1, message_id: MID, expedited_at: at(20) } };
  it('follows the status: queued now, retry time, expedite time, lease deadline, never when terminal', () => {
    expect(dueAt(fold([queued]), at(1))).toBe(at(1));
    expect(dueAt(fold(pendingSlow), at(1))).toBe(at(1810));
    expect(dueAt(fold([...pendingSlow, expedited]), at(1))).toBe(at(20));
    expect(dueAt(fold(delivering), at(1))).toBe(at(60));
    expect(dueAt(fold(succeeded), at(1))).toBeNull();
    expect(dueAt(fold(dead), at(1))).toBeNull();
    expect(dueAt(fold([]), at(1))).toBeNull();
  });
});

describe('messageDecider', () => {
  it('is one value per retry policy object, all sharing one fold', () => {
    expect(messageDecider(defaultRetryPolicy)).toBe(decider);
    const other = { ...defaultRetryPolicy };
    expect(messageDecider(other)).not.toBe(decider);
    expect(messageDecider(other).evolve).toBe(decider.evolve); // the aggregate cache keys folds by it
  });
});
