import { describe, expect, it } from 'vitest';
import { handleCommand, loadAggregate } from '../../src/commands/handle.js';
import { DomainError, EventDecodeError } from '../../src/domain/errors.js';
import { decodeMessageEvent, messageDecider, type MessageCommand } from '../../src/domain/message/index.js';
import { defaultRetryPolicy } from '../../src/domain/retryPolicy.js';
import { messageStream } from '../../src/domain/streams.js';
import { WrongExpectedVersionError } from '../../src/eventstore/errors.js';
import { createMemoryEventStore } from '../../src/eventstore/memory/index.js';
import type { EventStore } from '../../src/eventstore/port.js';
import { MID, at, pendingSlow } from '../domain/support/messageFixtures.js';

const decider = messageDecider(defaultRetryPolicy);
const stream = messageStream(MID);
const meta = { request_id: 'req_1', actor: 'key_1' };
const retryNow: MessageCommand = { type: 'RetryNow', now: at(20) };

async function storeWithPendingRetry(): Promise<EventStore> {
  const store = createMemoryEventStore();
  await store.append(stream, pendingSlow.map((e, i) => ({ id: `00000000-0000-4000-8000-00000000000${i}`, type: e.type, data: e.data })), { expectedRevision: 'no_stream' });
  return store;
}

const run = (store: EventStore, command: MessageCommand, extra: { retryOnConflict?: boolean; maxTries?: number } = {}) =>
  handleCommand({ store, stream, decider, decode: decodeMessageEvent, command, metadata: meta, ...extra });

describe('handleCommand', () => {
  it('appends the decided events with ids and audit metadata', async () => {
    const store = await storeWithPendingRetry();
    const result = await run(store, retryNow);
    expect(result.events.map((e) => e.type)).toEqual(['RetryExpedited']);
    expect(result.state.expedited_at).toBe(at(20));
    expect(result.revision).toBe(4n);
    const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
    expect(last?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(last?.metadata).toEqual({ request_id: 'req_1', actor: 'key_1', correlation_id: 'req_1', causation_id: 'req_1' });
  });

  it('writes nothing for a no-op decision', async () => {
    const store = await storeWithPendingRetry();
    await run(store, retryNow);
    const again = await run(store, { ...retryNow, now: at(21) });
    expect(again.events).toEqual([]);
    expect(await store.readStream(stream)).toHaveLength(5);
  });

  it('lets a refusal through untouched', async () => {
    await expect(run(createMemoryEventStore(), retryNow)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await expect(run(createMemoryEventStore(), retryNow)).rejects.toBeInstanceOf(DomainError);
  });

  it('concurrent retry-now calls produce exactly one event', async () => {
    const store = await storeWithPendingRetry();
    const results = await Promise.all(Array.from({ length: 5 }, () => run(store, retryNow, { retryOnConflict: true })));
    expect(results.flatMap((r) => r.events)).toHaveLength(1);
    expect((await store.readStream(stream)).filter((e) => e.type === 'RetryExpedited')).toHaveLength(1);
  });

  it('without retryOnConflict, a conflict goes back to the caller', async () => {
    const inner = await storeWithPendingRetry();
    const racing: EventStore = {
      ...inner,
      append: async (s, events, options) => {
        await inner.append(s, [{ id: '00000000-0000-4000-8000-0000000000ff', type: 'RetryExpedited', data: { v: 1, message_id: MID, expedited_at: at(19) } }]);
        return inner.append(s, events, options);
      },
    };
    await expect(run(racing, retryNow)).rejects.toBeInstanceOf(WrongExpectedVersionError);
  });

  it('gives up after maxTries conflicts', async () => {
    const inner = await storeWithPendingRetry();
    let appends = 0;
    const alwaysConflicting: EventStore = {
      ...inner,
      append: async () => {
        appends += 1;
        throw new WrongExpectedVersionError(stream, 3n, 4n);
      },
    };
    await expect(run(alwaysConflicting, retryNow, { retryOnConflict: true, maxTries: 3 })).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(appends).toBe(3);
  });

  it('a malformed stored event surfaces as EventDecodeError naming stream and revision', async () => {
    const store = await storeWithPendingRetry();
    await store.append(stream, [{ id: '00000000-0000-4000-8000-0000000000aa', type: 'RetryExpedited', data: { v: 1 } }]);
    await expect(loadAggregate(store, stream, decider, decodeMessageEvent)).rejects.toMatchObject({ stream, revision: 4n });
    await expect(run(store, retryNow)).rejects.toBeInstanceOf(EventDecodeError);
  });
});
