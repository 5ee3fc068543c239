import type { LogItem } from '../../../projections/index.js';
import { apiErrors } from '../../http/apiErrors.js';
import { InvalidCursorError } from '../../../projections/index.js';

/** A read-model message as a log / DLQ item: the reference's fields, absent ones left out (not null). */
export function logItem(item: LogItem) {
  return {
    message_id: item.message_id,
    endpoint: item.endpoint,
    endpoint_id: item.endpoint_id,
    status: item.status,
    attempt_count: item.attempt_count,
    created_at: item.created_at,
    ...(item.delivered_at === null ? {} : { delivered_at: item.delivered_at }),
    ...(item.failed_at === null ? {} : { failed_at: item.failed_at }),
    ...(item.next_attempt_at === null ? {} : { next_attempt_at: item.next_attempt_at }),
    ...(item.response_status === null ? {} : { response_status: item.response_status }),
    ...(item.response_latency_ms === null ? {} : { response_latency_ms: item.response_latency_ms }),
    ...(item.last_error === null ? {} : { last_error: item.last_error }),
  };
}

/** Runs a read-model page query; a cursor it did not issue is the caller's 400. */
export function paged<T>(query: () => T): T {
  try {
    return query();
  } catch (error) {
    if (error instanceof InvalidCursorError) throw apiErrors.invalidRequest('cursor must be a cursor returned by a previous page');
    throw error;
  }
}
