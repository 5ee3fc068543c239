import { describe, expect, it } from 'vitest';
import { EventDecodeError } from '../../src/domain/errors.js';
import { decodeEvent } from '../../src/domain/events.js';
import { decodeMessageEvent } from '../../src/domain/message/events.js';

const hash = 'a'.repeat(64);
const queued = {
  v: 1, message_id: 'm1', project_id: 'proj_1', endpoint_id: 'ep_1', payload: '{"a":1}', payload_sha256: hash,
  size_bytes: 7, content_type: 'application/json', headers: {}, queued_at: '2026-01-01T00:00:00.000Z',
};

function decodeError(fn: () => unknown): EventDecodeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof EventDecodeError) return error;
    throw error;
  }
  throw new Error('expected an EventDecodeError');
}

describe('decodeEvent', () => {
  it('returns the typed event for valid data', () => {
    const event = decodeEvent({ type: 'MessageQueued', data: queued, stream: 'message-m1', revision: 0n });
    expect(event).toEqual({ type: 'MessageQueued', data: queued });
  });

  it('names the stream and revision of an unknown event type', () => {
    const error = decodeError(() => decodeEvent({ type: 'Nope', data: {}, stream: 'message-m1', revision: 3n }));
    expect(error).toMatchObject({ stream: 'message-m1', revision: 3n, eventType: 'Nope', reason: 'unknown event type' });
    expect(error.message).toContain('message-m1@3');
  });

  it('refuses data that fails the schema, naming the field', () => {
    const error = decodeError(() =>
      decodeEvent({ type: 'MessageQueued', data: { ...queued, queued_at: 'yesterday' }, stream: 'message-m1', revision: 0 }),
    );
    expect(error.revision).toBe(0n);
    expect(error.reason).toContain('queued_at');
  });

  it('refuses a schema version it does not know', () => {
    const error = decodeError(() => decodeEvent({ type: 'MessageQueued', data: { ...queued, v: 2 }, stream: 's', revision: 1n }));
    expect(error.reason).toContain('v');
  });

  it('does not treat inherited properties as event types', () => {
    expect(() => decodeMessageEvent({ type: 'toString', data: {}, stream: 's', revision: 0n })).toThrow(EventDecodeError);
    expect(() => decodeEvent({ type: 'MessageQueued', data: null, stream: 's', revision: 0n })).toThrow(EventDecodeError);
  });
});
