import { createHash } from 'node:crypto';

/** Who a valid key acts for; put on ctx.state.auth. */
export interface AuthContext {
  readonly project_id: string;
  readonly key_id: string;
}

/**
 * How auth finds a key: by the sha256 hex of the key, never the key itself. The
 * projections read model implements it; the API only ever sees hashes.
 */
export interface ApiKeyLookup {
  findByHash(hash: string): Promise<AuthContext | null>;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
