import { describe, expect, it } from 'vitest';
import { toEventsToAppend } from '../../src/commands/handle.js';
import { newApiKey, newEndpointId, newSigningSecret, newUuidV7 } from '../../src/commands/ids.js';

describe('identifiers', () => {
  it('mints UUIDv7 message ids carrying their creation time', () => {
    const id = newUuidV7(Date.UTC(2026, 10, 28));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 10, 28));
    expect(newUuidV7()).not.toBe(newUuidV7());
  });

  it('mints ids and secrets in the reference formats', () => {
    expect(newEndpointId()).toMatch(/^ep_[a-f0-9]{32}$/);
    expect(newApiKey()).toMatch(/^hb_live_[0-9A-Za-z]{32}$/);
    expect(newSigningSecret()).toMatch(/^whsec_[0-9A-Za-z]{32}$/);
  });

  it('gives appended events time-ordered UUIDv7 ids, so the embedded store indexes them at its newest leaf', () => {
    const before = Date.now();
    const [first, second] = toEventsToAppend([{ type: 'A', data: {} }, { type: 'B', data: {} }], { actor: 'test' });
    for (const event of [first!, second!]) {
      expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(event.id.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(before);
    }
    expect(first!.id).not.toBe(second!.id);
  });
});
