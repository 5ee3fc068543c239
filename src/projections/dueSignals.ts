import type { DecodedEvent } from './batch.js';

/**
 * The scheduler's wake-up: an applied event that makes a message due now (queued,
 * replayed, expedited) or may release many (an endpoint resumed). Polling stays the
 * safety net, so a listener only needs to wake the loop.
 */
export type DueReason = 'queued' | 'replayed' | 'expedited' | 'endpoint_resumed';

export interface DueSignal {
  readonly reason: DueReason;
  /** null for endpoint_resumed. */
  readonly message_id: string | null;
  /** The endpoint when known (from the event or the due-retry row). */
  readonly endpoint_id: string | null;
  /** ISO-8601, from the event. */
  readonly at: string;
  readonly position: bigint;
}

export type DueListener = (signal: DueSignal) => void;

/** Signals in a committed batch; endpointOf looks up a message's endpoint in the due-retry model. */
export function dueSignalsOf(batch: readonly DecodedEvent[], endpointOf: (messageId: string) => string | null): DueSignal[] {
  const signals: DueSignal[] = [];
  for (const { position, event } of batch) {
    if (event === null) continue;
    switch (event.type) {
      case 'MessageQueued':
        signals.push({ reason: 'queued', message_id: event.data.message_id, endpoint_id: event.data.endpoint_id, at: event.data.queued_at, position });
        break;
      case 'MessageReplayed':
        signals.push({ reason: 'replayed', message_id: event.data.message_id, endpoint_id: endpointOf(event.data.message_id), at: event.data.replayed_at, position });
        break;
      case 'RetryExpedited':
        signals.push({ reason: 'expedited', message_id: event.data.message_id, endpoint_id: endpointOf(event.data.message_id), at: event.data.expedited_at, position });
        break;
      case 'EndpointResumed':
        signals.push({ reason: 'endpoint_resumed', message_id: null, endpoint_id: event.data.endpoint_id, at: event.data.resumed_at, position });
        break;
      default:
        break;
    }
  }
  return signals;
}
