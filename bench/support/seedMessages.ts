/**
 * Seeds the embedded store's file with `count` messages in `pending_retry` (the domain's
 * own events: MessageQueued, DeliveryAttemptStarted, DeliveryAttemptFailed, RetryScheduled),
 * written straight into the SQLite file in big transactions before the service starts.
 * Much faster than driving 50,000 messages through send + a failing receiver, and the
 * stream each retry-now reads is the same four events a real failure leaves behind.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadAggregate } from '../../src/commands/handle.js';
import { newEndpointId, newUuidV7 } from '../../src/commands/ids.js';
import { decodeMessageEvent, messageDecider, messageStream } from '../../src/domain/index.js';
import { retryPolicyFrom } from '../../src/compose/service.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/eventstore/sqlite/database.js';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.js';

const BATCH = 20_000;

export async function seedPendingRetries(file: string, projectId: string, count: number): Promise<string[]> {
  mkdirSync(dirname(file), { recursive: true });
  const db = openDatabase({ file, synchronous: 'FULL' });
  db.pragma('synchronous = OFF'); // seeding is not measured; the service reopens on FULL
  const insert = db.prepare('INSERT INTO events (id, stream, revision, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const endpointId = newEndpointId();
  const ids: string[] = [];
  const base = Date.now() - 60_000;
  const writeBatch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i += 1) {
      const t = base + Math.floor(i / 1000);
      const id = newUuidV7(t);
      ids.push(id);
      const stream = messageStream(id);
      const at = (ms: number): string => new Date(t + ms).toISOString();
      const payload = JSON.stringify({ event: 'bench.seeded', n: i });
      const meta = JSON.stringify({ actor: 'scheduler:bench-seed' });
      const attemptId = `att_${randomUUID().replaceAll('-', '')}`;
      const events: [string, unknown][] = [
        ['MessageQueued', {
          v: 1, message_id: id, project_id: projectId, endpoint_id: endpointId, payload,
          payload_sha256: createHash('sha256').update(payload).digest('hex'), size_bytes: Buffer.byteLength(payload),
          content_type: 'application/json', headers: {}, queued_at: at(0),
        }],
        ['DeliveryAttemptStarted', { v: 1, message_id: id, attempt_no: 1, attempt_id: attemptId, started_at: at(10), lease_until: at(60_010) }],
        ['DeliveryAttemptFailed', {
          v: 1, message_id: id, attempt_no: 1, attempt_id: attemptId, response_status: 503, error_text: 'HTTP 503',
          latency_ms: 42, retryable: true, failed_at: at(52),
        }],
        // Due in two hours: nothing picks these up by itself during the bench.
        ['RetryScheduled', { v: 1, message_id: id, attempt_no: 1, next_attempt_at: at(7_200_052), retry_type: 'slow', retry_after_seconds: 7200, scheduled_at: at(52) }],
      ];
      events.forEach(([type, data], revision) => insert.run(randomUUID(), stream, revision, type, JSON.stringify(data), meta, t));
    }
  });
  try {
    for (let from = 0; from < count; from += BATCH) writeBatch(from, Math.min(count, from + BATCH));
  } finally {
    db.close();
  }
  await assertPendingRetry(file, ids[0], projectId);
  return ids;
}

/** A seed the domain would not fold to pending_retry would make the bench measure 400s. */
async function assertPendingRetry(file: string, id: string | undefined, projectId: string): Promise<void> {
  if (id === undefined) return;
  const store = openSqliteEventStore({ file });
  try {
    const decider = messageDecider(retryPolicyFrom(loadConfig({})));
    const { state } = await loadAggregate(store, messageStream(id), decider, decodeMessageEvent);
    if (state.status !== 'pending_retry' || state.project_id !== projectId) throw new Error(`seeded message ${id} folds to ${state.status}, not pending_retry`);
  } finally {
    await store.close();
  }
}

/** Counts events of one type in the store file (after the service stopped). */
export function countEvents(file: string, type: string): number {
  const db = openDatabase({ file });
  try {
    return Number(db.prepare('SELECT count(*) FROM events WHERE type = ?').pluck().get(type));
  } finally {
    db.close();
  }
}
