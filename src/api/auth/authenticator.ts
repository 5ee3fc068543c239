import { apiErrors } from '../http/apiErrors.js';
import type { ApiKeyCacheOptions } from './apiKeyCache.js';
import { CachedApiKeyLookup } from './apiKeyCache.js';
import type { ApiKeyLookup, AuthContext } from './apiKeys.js';
import { hashApiKey } from './apiKeys.js';
import type { FailedAuthLimitOptions } from './failedAuthLimiter.js';
import { FailedAuthLimiter } from './failedAuthLimiter.js';

/** What the app needs from auth: a header and a client address in, an AuthContext or a throw out. */
export interface ApiKeyAuthenticator {
  /** Synchronous when the key's answer is cached (nearly every request): no promise to wait on. */
  authenticate(authorization: string | undefined, clientIp: string): AuthContext | Promise<AuthContext>;
  /** Cache hooks for whoever creates or deletes keys. */
  invalidate(hash: string): void;
  invalidateKey(keyId: string): void;
}

export interface AuthenticatorOptions {
  lookup: ApiKeyLookup;
  cache?: ApiKeyCacheOptions;
  failedAuth?: FailedAuthLimitOptions;
}

// A key is one token of visible ASCII; anything else cannot be one of ours.
const bearer = /^Bearer ([\x21-\x7e]{1,512})$/i;

/**
 * No secret is ever compared here: the key is hashed and the hash is looked up, so the
 * time taken does not depend on how much of a guessed key is right. (Where two secrets do
 * meet, use timingSafeEqual; see safeEqual below.)
 */
export function createApiKeyAuthenticator(options: AuthenticatorOptions): ApiKeyAuthenticator {
  const cache = new CachedApiKeyLookup(options.lookup, options.cache);
  const limiter = new FailedAuthLimiter(options.failedAuth);
  const refuse = (clientIp: string): never => {
    limiter.recordFailure(clientIp);
    throw apiErrors.unauthorized();
  };
  return {
    authenticate(authorization, clientIp) {
      const wait = limiter.blockedFor(clientIp);
      if (wait > 0) throw apiErrors.rateLimited(wait);
      const key = bearer.exec(authorization?.trim() ?? '')?.[1];
      if (key === undefined) return refuse(clientIp);
      const hash = hashApiKey(key);
      const cached = cache.cached(hash);
      if (cached !== undefined) return cached ?? refuse(clientIp);
      return cache.findByHash(hash).then((found) => found ?? refuse(clientIp));
    },
    invalidate: (hash) => cache.invalidate(hash),
    invalidateKey: (keyId) => cache.invalidateKey(keyId),
  };
}
