import type { MessageEvent } from '../../domain/message/events.js';
import { ms } from '../projection.js';

/**
 * metrics: per-minute buckets per project and endpoint, counted at the time the event
 * says it happened (never a clock read here):
 * - total: messages queued in the minute (MessageQueued; replays are not new messages)
 * - succeeded: successful attempts (DeliveryAttemptSucceeded)
 * - failed: messages that failed permanently (MessageFailedPermanently)
 * - retries: retries scheduled (RetryScheduled)
 * - latency_sum / latency_count: over every answered or timed attempt (succeeded and failed)
 */
export const BUCKET_MS = 60_000;

export interface MetricsBucketRow {
  readonly project_id: string;
  readonly endpoint_id: string;
  /** ms epoch, a whole minute. */
  readonly bucket_start: number;
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly retries: number;
  readonly latency_sum: number;
  readonly latency_count: number;
}

/** Which message belongs to which project and endpoint: only MessageQueued names them. */
export interface MessageRefRow {
  readonly message_id: string;
  readonly project_id: string;
  readonly endpoint_id: string;
}

/** A message event with its message's project and endpoint, as the bucket evolve needs it. */
export interface RoutedMessageEvent {
  readonly ref: MessageRefRow;
  readonly event: MessageEvent;
}

export function evolveMessageRef(row: MessageRefRow | null, event: MessageEvent): MessageRefRow | null {
  if (event.type !== 'MessageQueued') return row;
  return { message_id: event.data.message_id, project_id: event.data.project_id, endpoint_id: event.data.endpoint_id };
}

interface Counted {
  readonly at: string;
  readonly total?: number;
  readonly succeeded?: number;
  readonly failed?: number;
  readonly retries?: number;
  readonly latency?: number;
}

/** What one event adds to its minute; null for events that count nothing. */
export function countOf(event: MessageEvent): Counted | null {
  switch (event.type) {
    case 'MessageQueued':
      return { at: event.data.queued_at, total: 1 };
    case 'DeliveryAttemptSucceeded':
      return { at: event.data.succeeded_at, succeeded: 1, latency: event.data.latency_ms };
    case 'DeliveryAttemptFailed':
      return { at: event.data.failed_at, latency: event.data.latency_ms };
    case 'RetryScheduled':
      return { at: event.data.scheduled_at, retries: 1 };
    case 'MessageFailedPermanently':
      return { at: event.data.failed_at, failed: 1 };
    case 'DeliveryAttemptStarted':
    case 'DeliveryAttemptAbandoned':
    case 'RetryExpedited':
    case 'RetryCancelled':
    case 'MessageReplayed':
      return null;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

export const bucketOf = (at: string): number => Math.floor(ms(at) / BUCKET_MS) * BUCKET_MS;
export const bucketKey = (project_id: string, endpoint_id: string, bucket_start: number): string => `${project_id}\u0000${endpoint_id}\u0000${bucket_start}`;

export function evolveMetricsBucket(row: MetricsBucketRow | null, { ref, event }: RoutedMessageEvent): MetricsBucketRow | null {
  const counted = countOf(event);
  if (counted === null) return row;
  const base: MetricsBucketRow = row ?? {
    project_id: ref.project_id, endpoint_id: ref.endpoint_id, bucket_start: bucketOf(counted.at),
    total: 0, succeeded: 0, failed: 0, retries: 0, latency_sum: 0, latency_count: 0,
  };
  // Every field spelled out rather than spread: a rebuild runs this for most events.
  return {
    project_id: base.project_id,
    endpoint_id: base.endpoint_id,
    bucket_start: base.bucket_start,
    total: base.total + (counted.total ?? 0),
    succeeded: base.succeeded + (counted.succeeded ?? 0),
    failed: base.failed + (counted.failed ?? 0),
    retries: base.retries + (counted.retries ?? 0),
    latency_sum: base.latency_sum + (counted.latency ?? 0),
    latency_count: base.latency_count + (counted.latency === undefined ? 0 : 1),
  };
}
