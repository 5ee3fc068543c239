import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality for two secrets of any length: both sides are hashed first so
 * timingSafeEqual gets equal lengths and the length of the secret does not leak either.
 */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}
