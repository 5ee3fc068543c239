import type { ApiKeyLookup, AuthContext } from './apiKeys.js';

export interface ApiKeyCacheOptions {
  /** How long a found key is trusted without asking the store again. */
  positiveTtlMs?: number;
  /**
   * How long "no such key" is remembered. Kept under a second: a key created by the CLI
   * must work within a second (issue 4), and this only has to blunt floods of bad keys.
   */
  negativeTtlMs?: number;
  /** Bound on entries so random keys cannot grow memory; the oldest go first. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  readonly value: AuthContext | null;
  readonly expiresAt: number;
}

/**
 * A read-through cache in front of ApiKeyLookup so auth does not hit the store per
 * request. A deleted key stops working as soon as whoever deletes it calls
 * invalidateKey(key_id) (the API-keys route or projection does), and in any case within
 * positiveTtlMs. Concurrent misses for one hash share one lookup.
 */
export class CachedApiKeyLookup implements ApiKeyLookup {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<AuthContext | null>>();
  private readonly positiveTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private generation = 0;

  constructor(
    private readonly inner: ApiKeyLookup,
    options: ApiKeyCacheOptions = {},
  ) {
    this.positiveTtlMs = options.positiveTtlMs ?? 30_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 500;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async findByHash(hash: string): Promise<AuthContext | null> {
    const fresh = this.cached(hash);
    if (fresh !== undefined) return fresh;
    const pending = this.inFlight.get(hash);
    if (pending !== undefined) return pending;
    const generation = this.generation;
    const lookup = this.inner.findByHash(hash).finally(() => this.inFlight.delete(hash));
    this.inFlight.set(hash, lookup);
    const value = await lookup;
    // An invalidation that raced this lookup wins: do not cache what it meant to remove.
    if (generation === this.generation) this.store(hash, value);
    return value;
  }

  /**
   * The cached answer for this hash while it is fresh (a key, or null for "no such key"),
   * else undefined (and a stale entry is dropped): what findByHash answers without a lookup,
   * for a caller that can then skip a promise.
   */
  cached(hash: string): AuthContext | null | undefined {
    const entry = this.entries.get(hash);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.now()) return entry.value;
    this.entries.delete(hash);
    return undefined;
  }

  /** Forget one key by its hash (e.g. right after it was created or deleted). */
  invalidate(hash: string): void {
    this.entries.delete(hash);
    this.generation++;
  }

  /** Forget every cached entry of this key id (deletion knows the id, not the key). */
  invalidateKey(keyId: string): void {
    for (const [hash, entry] of this.entries) {
      if (entry.value?.key_id === keyId) this.entries.delete(hash);
    }
    this.generation++;
  }

  /** Forget everything (e.g. a project was deleted). */
  clear(): void {
    this.entries.clear();
    this.generation++;
  }

  private store(hash: string, value: AuthContext | null): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    const ttl = value === null ? this.negativeTtlMs : this.positiveTtlMs;
    this.entries.set(hash, { value, expiresAt: this.now() + ttl });
  }
}
