import { describe, expect, it } from 'vitest';
import { CachedApiKeyLookup } from '../../src/api/auth/apiKeyCache.js';
import type { ApiKeyLookup, AuthContext } from '../../src/api/auth/apiKeys.js';
import { hashApiKey } from '../../src/api/auth/apiKeys.js';

function fixture() {
  let now = 0;
  const keys = new Map<string, AuthContext>([[hashApiKey('k1'), { project_id: 'proj_1', key_id: 'key_1' }]]);
  let calls = 0;
  const inner: ApiKeyLookup = {
    findByHash: async (hash) => {
      calls++;
      return keys.get(hash) ?? null;
    },
  };
  const cache = new CachedApiKeyLookup(inner, { positiveTtlMs: 30_000, negativeTtlMs: 500, now: () => now });
  return { cache, keys, calls: () => calls, advance: (ms: number) => (now += ms) };
}

describe('CachedApiKeyLookup', () => {
  it('serves a found key from cache until its TTL runs out', async () => {
    const f = fixture();
    await f.cache.findByHash(hashApiKey('k1'));
    f.advance(29_999);
    expect(await f.cache.findByHash(hashApiKey('k1'))).toEqual({ project_id: 'proj_1', key_id: 'key_1' });
    expect(f.calls()).toBe(1);
    f.advance(1);
    await f.cache.findByHash(hashApiKey('k1'));
    expect(f.calls()).toBe(2);
  });

  it('stops accepting a deleted key as soon as invalidateKey is called', async () => {
    const f = fixture();
    await f.cache.findByHash(hashApiKey('k1'));
    f.keys.delete(hashApiKey('k1'));
    f.cache.invalidateKey('key_1');
    expect(await f.cache.findByHash(hashApiKey('k1'))).toBeNull();
  });

  it('remembers an unknown key only briefly, so a newly created key works within a second', async () => {
    const f = fixture();
    expect(await f.cache.findByHash(hashApiKey('k2'))).toBeNull();
    f.keys.set(hashApiKey('k2'), { project_id: 'proj_2', key_id: 'key_2' });
    expect(await f.cache.findByHash(hashApiKey('k2'))).toBeNull();
    f.advance(500);
    expect(await f.cache.findByHash(hashApiKey('k2'))).toEqual({ project_id: 'proj_2', key_id: 'key_2' });
  });

  it('shares one store lookup among concurrent misses', async () => {
    const f = fixture();
    await Promise.all(Array.from({ length: 20 }, () => f.cache.findByHash(hashApiKey('k1'))));
    expect(f.calls()).toBe(1);
  });
});
