import type { MessageEvent, MessageEventData, RetryType } from './events.js';

/**
 * The message aggregate's state, folded from its stream. `status: 'none'` is the state
 * of a stream that does not exist (NOT_FOUND for every command but SendMessage).
 */
export const messageStatuses = ['queued', 'delivering', 'pending_retry', 'succeeded', 'failed_permanent'] as const;
export type MessageStatus = (typeof messageStatuses)[number];

export interface CurrentAttempt {
  readonly attempt_no: number;
  readonly attempt_id: string;
  readonly started_at: string;
  readonly lease_until: string;
}

export interface MessageState {
  readonly status: MessageStatus | 'none';
  readonly message_id: string;
  readonly project_id: string;
  readonly endpoint_id: string;
  /** What was sent (payload text, headers, content type...): the scheduler delivers from it. */
  readonly queued: MessageEventData<'MessageQueued'> | null;
  /** Attempts started over the message's whole life (the last attempt_no). */
  readonly attempt_count: number;
  /** Attempts started since the message was last queued or replayed: capped by maxAttempts. */
  readonly cycle_attempts: number;
  /** 429s in a row at the end of this cycle (drives the fast schedule). */
  readonly consecutive_fast: number;
  /** Slow retries scheduled in this cycle (drives the slow schedule). */
  readonly slow_retries: number;
  /** Replays counted toward the per-message limit (DLQ replays are not). */
  readonly replay_count: number;
  readonly current_attempt: CurrentAttempt | null;
  readonly next_attempt_at: string | null;
  readonly retry_type: RetryType | null;
  /** Set by retry-now, cleared when the next attempt starts. */
  readonly expedited_at: string | null;
  readonly last_response_status: number | null;
}

export const initialMessageState = (): MessageState => ({
  status: 'none',
  message_id: '',
  project_id: '',
  endpoint_id: '',
  queued: null,
  attempt_count: 0,
  cycle_attempts: 0,
  consecutive_fast: 0,
  slow_retries: 0,
  replay_count: 0,
  current_attempt: null,
  next_attempt_at: null,
  retry_type: null,
  expedited_at: null,
  last_response_status: null,
});

/** A fresh delivery cycle: the state after MessageQueued or MessageReplayed. */
const newCycle = {
  status: 'queued',
  cycle_attempts: 0,
  consecutive_fast: 0,
  slow_retries: 0,
  current_attempt: null,
  next_attempt_at: null,
  retry_type: null,
  expedited_at: null,
} as const satisfies Partial<MessageState>;

export function evolveMessage(state: MessageState, event: MessageEvent): MessageState {
  switch (event.type) {
    case 'MessageQueued': {
      const { message_id, project_id, endpoint_id } = event.data;
      return { ...state, ...newCycle, message_id, project_id, endpoint_id, queued: event.data };
    }
    case 'DeliveryAttemptStarted': {
      const { attempt_no, attempt_id, started_at, lease_until } = event.data;
      return {
        ...state,
        status: 'delivering',
        attempt_count: attempt_no,
        cycle_attempts: state.cycle_attempts + 1,
        current_attempt: { attempt_no, attempt_id, started_at, lease_until },
        next_attempt_at: null,
        expedited_at: null,
      };
    }
    case 'DeliveryAttemptSucceeded':
      return { ...state, status: 'succeeded', current_attempt: null, consecutive_fast: 0, last_response_status: event.data.response_status };
    case 'DeliveryAttemptFailed':
      // The status is settled by the RetryScheduled / MessageFailedPermanently appended with it.
      return {
        ...state,
        current_attempt: null,
        consecutive_fast: event.data.response_status === 429 ? state.consecutive_fast + 1 : 0,
        last_response_status: event.data.response_status ?? null,
      };
    case 'DeliveryAttemptAbandoned':
      return { ...state, current_attempt: null, consecutive_fast: 0 };
    case 'RetryScheduled':
      return {
        ...state,
        status: 'pending_retry',
        next_attempt_at: event.data.next_attempt_at,
        retry_type: event.data.retry_type,
        slow_retries: event.data.retry_type === 'slow' ? state.slow_retries + 1 : state.slow_retries,
        expedited_at: null,
      };
    case 'RetryExpedited':
      return { ...state, expedited_at: event.data.expedited_at };
    case 'RetryCancelled':
      return { ...state, next_attempt_at: null, expedited_at: null };
    case 'MessageFailedPermanently':
      return { ...state, status: 'failed_permanent', current_attempt: null, next_attempt_at: null, expedited_at: null };
    case 'MessageReplayed':
      return { ...state, ...newCycle, replay_count: event.data.replay_count };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** Folds a stream's events (oldest first) into the state. */
export const foldMessage = (events: readonly MessageEvent[], from: MessageState = initialMessageState()): MessageState =>
  events.reduce(evolveMessage, from);

/**
 * When the message next needs the scheduler, as the due-retry read model should say:
 * queued → `since` (the caller passes the queue/replay event's time), pending_retry → the
 * expedite time or else the retry time, delivering → the lease deadline (a vanished
 * worker's message comes due again), terminal or missing → null.
 */
export function dueAt(state: MessageState, since: string): string | null {
  switch (state.status) {
    case 'queued':
      return since;
    case 'pending_retry':
      return state.expedited_at ?? state.next_attempt_at;
    case 'delivering':
      return state.current_attempt?.lease_until ?? null;
    case 'succeeded':
    case 'failed_permanent':
    case 'none':
      return null;
    default: {
      const unreachable: never = state.status;
      return unreachable;
    }
  }
}
