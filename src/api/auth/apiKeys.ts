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

/** One way to hash a key, shared with the commands that store keys. */
export { hashApiKey } from '../../commands/hashApiKey.js';
