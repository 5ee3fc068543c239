import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/commands/hashApiKey.js';

describe('hashApiKey', () => {
  it('is the lowercase hex sha256 of the UTF-8 key, the form stored keys were hashed in', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const key = 'hb_live_Ünïcødé-🔑';
    expect(hashApiKey(key)).toBe(createHash('sha256').update(Buffer.from(key, 'utf8')).digest('hex'));
  });
});
