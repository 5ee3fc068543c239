import { describe, expect, it } from 'vitest';
import { endpointStream, idempotencyStream, messageStream, parseIdempotencyId, parseStream, projectStream, streamPrefix } from '../../src/domain/streams.js';

describe('stream names', () => {
  it('builds category-id names', () => {
    expect(messageStream('0193-abc')).toBe('message-0193-abc');
    expect(endpointStream('ep_1')).toBe('endpoint-ep_1');
    expect(projectStream('proj_1')).toBe('project-proj_1');
    expect(idempotencyStream('proj_1', 'f'.repeat(64))).toBe(`idempotency-proj_1-${'f'.repeat(64)}`);
  });

  it('refuses an empty id or a key hash that is not sha256 hex', () => {
    expect(() => messageStream('')).toThrow();
    expect(() => idempotencyStream('proj_1', 'raw key')).toThrow();
  });

  it('parses what it builds, and nothing else', () => {
    expect(parseStream(messageStream('m-1'))).toEqual({ category: 'message', id: 'm-1' });
    expect(parseStream('$stats')).toBeNull();
    expect(parseStream('message-')).toBeNull();
    const parsed = parseStream(idempotencyStream('proj-with-dash', 'a'.repeat(64)));
    expect(parsed?.category).toBe('idempotency');
    expect(parseIdempotencyId(parsed?.id ?? '')).toEqual({ projectId: 'proj-with-dash', keySha256Hex: 'a'.repeat(64) });
    expect(Object.values(streamPrefix).every((p) => p.endsWith('-'))).toBe(true);
  });
});
