import { createHash } from 'node:crypto';

/** API keys are stored and looked up by this hash only (sha256, lowercase hex). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
