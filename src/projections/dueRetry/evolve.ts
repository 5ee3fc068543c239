import type { MessageEvent } from '../../domain/message/events.js';
import { ms } from '../projection.js';

/**
 * due-retry: one row per message, awaiting an attempt (due_at set) or settled (due_at
 * null). A settled row is kept as a tombstone only because MessageReplayed does not name
 * the endpoint: the replay re-arms it. The scheduler reads awaiting rows through due().
 *
 * - queued / pending_retry: due at due_at (queued/replayed: now; retry: next_attempt_at;
 *   expedited: the expedite time).
 * - delivering: due at the lease deadline, so a vanished worker's message comes due
 *   again (the scheduler then abandons the attempt).
 */
export type DueStatus = 'queued' | 'pending_retry' | 'delivering' | 'settled';

export interface DueRetryRow {
  readonly message_id: string;
  readonly project_id: string;
  readonly endpoint_id: string;
  readonly status: DueStatus;
  /** ms epoch; null when settled (succeeded / failed_permanent). */
  readonly due_at: number | null;
  /** Attempts started over the message's life (the last attempt_no). */
  readonly attempt_no: number;
  /** ms epoch lease deadline while delivering. */
  readonly lease_until: number | null;
  readonly expedited: boolean;
}

export function evolveDueRetry(row: DueRetryRow | null, event: MessageEvent): DueRetryRow | null {
  switch (event.type) {
    case 'MessageQueued': {
      const { message_id, project_id, endpoint_id, queued_at } = event.data;
      return { message_id, project_id, endpoint_id, status: 'queued', due_at: ms(queued_at), attempt_no: row?.attempt_no ?? 0, lease_until: null, expedited: false };
    }
    case 'MessageReplayed':
      return row && { ...row, status: 'queued', due_at: ms(event.data.replayed_at), lease_until: null, expedited: false };
    case 'DeliveryAttemptStarted': {
      const lease = ms(event.data.lease_until);
      return row && { ...row, status: 'delivering', due_at: lease, attempt_no: event.data.attempt_no, lease_until: lease, expedited: false };
    }
    case 'RetryScheduled':
      return row && { ...row, status: 'pending_retry', due_at: ms(event.data.next_attempt_at), lease_until: null, expedited: false };
    case 'RetryExpedited':
      return row && (row.status === 'settled' ? row : { ...row, due_at: ms(event.data.expedited_at), expedited: true });
    case 'DeliveryAttemptSucceeded':
    case 'MessageFailedPermanently':
      return row && { ...row, status: 'settled', due_at: null, lease_until: null, expedited: false };
    case 'DeliveryAttemptFailed':
    case 'DeliveryAttemptAbandoned':
    case 'RetryCancelled':
      // Settled by the RetryScheduled / MessageFailedPermanently appended with it.
      return row;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
