/**
 * subscribeToAll on EventStoreDB, resubscribing by itself.
 *
 * The client's subscription is a push stream that ends with 'error' when the
 * connection drops and never comes back. So each attempt here opens one client
 * subscription (server-side stream-name filter; system events dropped again here),
 * queues what it pushes in arrival order (events, caught-up, the end), and one loop
 * drains the queue: consecutive events go to onEvents as one batch (awaited), a
 * caught-up marker calls onCaughtUp once the events before it are delivered, and the
 * end of the attempt (a source error, mapped to the port's errors, or a handler's own
 * error as thrown) is reported to onDropped,
 * followed by a backoff (50 ms doubling to 5 s, reset once a new attempt is confirmed)
 * and a new attempt from the last position whose batch the handler completed.
 */
import { START, streamNameFilter } from '@eventstore/db-client';
import type { AllStreamResolvedEvent, AllStreamSubscription, EventStoreDBClient } from '@eventstore/db-client';
import type { RecordedEvent, SubscribeOptions, Subscription } from '../port.js';
import { toPortError } from './errors.js';
import { isWanted, toRecordedEvent } from './recordedEvent.js';
import { fromClientPosition, toClientPosition } from './revisions.js';

export interface SubscriptionTuning {
  /** Most events per onEvents call. */
  readonly batchSize: number;
  readonly firstBackoffMs: number;
  readonly maxBackoffMs: number;
}

type Item =
  | { readonly kind: 'event'; readonly resolved: AllStreamResolvedEvent }
  | { readonly kind: 'caught_up' }
  | { readonly kind: 'ended'; readonly error: unknown };

/** Stop reading from the server while this many items wait for the handler. */
const HIGH_WATER = 2_000;

export interface DroppableSubscription extends Subscription {
  /** Ends the current attempt as if the connection had dropped; the loop resubscribes. */
  drop(reason: Error): void;
}

export function startEsdbSubscription(client: EventStoreDBClient, options: SubscribeOptions, tuning: SubscriptionTuning): DroppableSubscription {
  const stopping = new AbortController();
  let dropCurrent: ((reason: Error) => void) | undefined;
  const prefixes = options.prefixes && options.prefixes.length > 0 ? options.prefixes : undefined;
  let resumeFrom: bigint | 'start' = options.fromPosition ?? 'start';

  const open = (): AllStreamSubscription =>
    client.subscribeToAll({
      fromPosition: resumeFrom === 'start' ? START : toClientPosition(resumeFrom),
      // One server-side filter only: the prefixes, or else "no `$` stream".
      filter: prefixes ? streamNameFilter({ prefixes: [...prefixes] }) : streamNameFilter({ regex: '^[^$]' }),
    });

  /** One attempt; resolves with why it ended (undefined when stopped). */
  const attempt = async (confirmed: () => void): Promise<unknown> => {
    const queue: Item[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const push = (item: Item): void => {
      queue.push(item);
      wake?.();
    };
    const end = (error: unknown): void => {
      if (ended) return;
      ended = true;
      push({ kind: 'ended', error });
    };
    const subscription = open();
    // 'caughtUp' is emitted as soon as the client reads the message, while events before
    // it may still sit in the stream's buffer: hold the marker until they have come out.
    let eventsOut = 0;
    const caughtUpAt: number[] = [];
    subscription.on('data', (resolved: AllStreamResolvedEvent) => {
      push({ kind: 'event', resolved });
      eventsOut += 1;
      while (caughtUpAt[0] !== undefined && caughtUpAt[0] <= eventsOut) {
        caughtUpAt.shift();
        push({ kind: 'caught_up' });
      }
      if (queue.length >= HIGH_WATER) subscription.pause();
    });
    subscription.on('caughtUp', () => {
      const at = eventsOut + subscription.readableLength;
      if (at === eventsOut && caughtUpAt.length === 0) push({ kind: 'caught_up' });
      else caughtUpAt.push(at);
    });
    subscription.on('confirmation', confirmed);
    subscription.on('error', (error: Error) => end(error));
    subscription.on('end', () => end(new Error('EventStoreDB ended the subscription')));
    subscription.on('close', () => end(new Error('The EventStoreDB subscription closed')));
    const onStop = (): void => end(undefined);
    stopping.signal.addEventListener('abort', onStop);
    dropCurrent = (reason) => end(reason);
    try {
      for (;;) {
        if (stopping.signal.aborted) return undefined;
        if (subscription.isPaused() && queue.length < HIGH_WATER / 2) subscription.resume();
        const head = queue[0];
        if (!head) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        // The source's own failure, in the port's terms (a lost server is StoreUnavailableError).
        if (head.kind === 'ended') return head.error === undefined ? undefined : toPortError(head.error);
        if (head.kind === 'caught_up') {
          queue.shift();
          options.onCaughtUp?.(resumeFrom);
          continue;
        }
        await deliverBatch(queue);
      }
    } finally {
      dropCurrent = undefined;
      stopping.signal.removeEventListener('abort', onStop);
      subscription.removeAllListeners('data');
      subscription.on('error', () => undefined); // late errors of a cancelled call are expected
      void subscription.unsubscribe().catch(() => undefined);
    }
  };

  /** Takes the run of events at the head of the queue and hands the wanted ones over. */
  const deliverBatch = async (queue: Item[]): Promise<void> => {
    const batch: RecordedEvent[] = [];
    let examined: bigint | undefined;
    while (batch.length < tuning.batchSize) {
      const head = queue[0];
      if (head?.kind !== 'event') break;
      queue.shift();
      const event = head.resolved.event;
      if (!event) continue;
      const position = fromClientPosition(event.position);
      // Starting points are exclusive on the server; this only guards a resubscription's overlap.
      if (resumeFrom !== 'start' && position <= resumeFrom) continue;
      examined = position;
      if (isWanted(event, prefixes)) batch.push(toRecordedEvent(event));
    }
    if (batch.length > 0) await options.onEvents(batch);
    // Only now is everything up to `examined` handled: a handler that threw leaves it untouched.
    if (examined !== undefined) resumeFrom = examined;
  };

  const run = async (): Promise<void> => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      let reason: unknown;
      try {
        reason = await attempt(() => {
          failures = 0;
        });
      } catch (error) {
        reason = error;
      }
      if (stopping.signal.aborted) return;
      try {
        options.onDropped?.(reason);
      } catch {
        // A reporting hook must not end the subscription.
      }
      failures += 1;
      await sleep(Math.min(tuning.firstBackoffMs * 2 ** (failures - 1), tuning.maxBackoffMs), stopping.signal);
    }
  };

  const done = run();
  return {
    drop(reason) {
      dropCurrent?.(reason);
    },
    /** Do not await stop() from inside onEvents: it waits for that very call. */
    async stop() {
      stopping.abort();
      await done;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const wake = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', wake);
      resolve();
    }, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}
