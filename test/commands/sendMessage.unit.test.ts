import { describe, expect, it } from 'vitest';
import { sendMessage } from '../../src/commands/sendMessage.js';
import type { SendMessage } from '../../src/domain/message/index.js';
import { defaultRetryPolicy } from '../../src/domain/retryPolicy.js';
import { idempotencyStream, messageStream } from '../../src/domain/streams.js';
import { createMemoryEventStore } from '../../src/eventstore/memory/index.js';

const KEY = '1'.repeat(64);
const meta = { request_id: 'req_1', actor: 'key_1' };
const send = (message_id: string, overrides: Partial<SendMessage> = {}): SendMessage => ({
  type: 'SendMessage', message_id, project_id: 'proj_1', endpoint_id: 'ep_1', payload: '{"a":1}', payload_sha256: 'a'.repeat(64),
  size_bytes: 7, content_type: 'application/json', headers: {}, now: '2026-01-01T00:00:00.000Z', ...overrides,
});

describe('sendMessage', () => {
  it('queues a message without a key', async () => {
    const store = createMemoryEventStore();
    const result = await sendMessage(store, defaultRetryPolicy, send('m1'), undefined, meta);
    expect(result).toMatchObject({ message_id: 'm1', duplicate: false, state: { status: 'queued' } });
  });

  it('answers a repeat with the original id and creates nothing', async () => {
    const store = createMemoryEventStore();
    await sendMessage(store, defaultRetryPolicy, send('m1'), KEY, meta);
    const repeat = await sendMessage(store, defaultRetryPolicy, send('m2'), KEY, meta);
    expect(repeat).toMatchObject({ message_id: 'm1', duplicate: true });
    expect(await store.readStream(messageStream('m2'))).toEqual([]);
  });

  it('refuses the same key with another payload or endpoint', async () => {
    const store = createMemoryEventStore();
    await sendMessage(store, defaultRetryPolicy, send('m1'), KEY, meta);
    await expect(sendMessage(store, defaultRetryPolicy, send('m2', { payload_sha256: 'b'.repeat(64) }), KEY, meta)).rejects.toMatchObject({ code: 'IDEMPOTENCY_MISMATCH' });
    await expect(sendMessage(store, defaultRetryPolicy, send('m2', { endpoint_id: 'ep_2' }), KEY, meta)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  });

  it('concurrent sends with one key create exactly one message', async () => {
    const store = createMemoryEventStore();
    const results = await Promise.all(['m1', 'm2', 'm3', 'm4'].map((id) => sendMessage(store, defaultRetryPolicy, send(id), KEY, meta)));
    expect(new Set(results.map((r) => r.message_id)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    const queued = (await store.readAll({ prefixes: ['message-'] })).filter((e) => e.type === 'MessageQueued');
    expect(queued).toHaveLength(1);
  });

  it('repairs a claim whose message was never written', async () => {
    const store = createMemoryEventStore();
    await store.append(idempotencyStream('proj_1', KEY), [{
      id: '00000000-0000-4000-8000-000000000001', type: 'IdempotencyKeyClaimed',
      data: { v: 1, project_id: 'proj_1', key_sha256: KEY, message_id: 'm1', endpoint_id: 'ep_1', payload_sha256: 'a'.repeat(64), claimed_at: '2026-01-01T00:00:00.000Z' },
    }]);
    const repeat = await sendMessage(store, defaultRetryPolicy, send('m2'), KEY, meta);
    expect(repeat).toMatchObject({ message_id: 'm1', duplicate: true, state: { status: 'queued', message_id: 'm1' } });
  });
});
