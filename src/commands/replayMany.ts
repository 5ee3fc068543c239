import { DomainError, type RetryPolicy } from '../domain/index.js';
import type { EventStore } from '../eventstore/port.js';
import type { CommandMetadata } from './handle.js';
import { actOnMessage } from './messages.js';

/**
 * Replays of many messages (replay-all, replay-batch), each one the regular replay of one
 * message (counted toward its 10). Each outcome lands in one of the reference's three
 * counters:
 * - replayed: queued again;
 * - stuck: the message is busy right now (being delivered, or in a fast retry after a 429):
 *   the same call later may succeed;
 * - failed: it will not succeed by waiting (not found, replay limit reached, ...).
 */
export type ReplayOutcome =
  | { readonly message_id: string; readonly status: 'replayed' }
  | { readonly message_id: string; readonly status: 'stuck' | 'failed'; readonly error_code: string; readonly error: string };

const busy: ReadonlySet<string> = new Set(['DELIVERY_IN_PROGRESS', 'RETRY_IN_PROGRESS']);

/** How many replays run at once: enough to share group commits, few enough to leave room for other requests. */
const PARALLEL = 8;

export async function replayMany(
  store: EventStore,
  policy: RetryPolicy,
  input: { readonly message_ids: readonly string[]; readonly project_id: string; readonly now: Date; readonly metadata: CommandMetadata },
): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = new Array<ReplayOutcome>(input.message_ids.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < input.message_ids.length) {
      const index = next++;
      const message_id = input.message_ids[index] as string;
      try {
        await actOnMessage(store, policy, { message_id, project_id: input.project_id, action: 'ReplayMessage', now: input.now, metadata: input.metadata });
        outcomes[index] = { message_id, status: 'replayed' };
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        outcomes[index] = { message_id, status: busy.has(error.code) ? 'stuck' : 'failed', error_code: error.code, error: error.message };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, input.message_ids.length) }, worker));
  return outcomes;
}

export function tally(outcomes: readonly ReplayOutcome[]) {
  const ids = (status: ReplayOutcome['status']) => outcomes.filter((o) => o.status === status).map((o) => o.message_id);
  const replayed = ids('replayed');
  const stuck = ids('stuck');
  const failed = ids('failed');
  return { replayed, stuck, failed };
}
