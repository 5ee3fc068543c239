import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonBytesBound } from '../../src/commands/jsonBytesBound.js';

const exact = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

// Strings that cost the most once stringified: control characters, quotes, backslashes,
// lone surrogates (escaped as \udXXX), multi-byte characters and surrogate pairs.
const nastyString = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\u0000', '\u001f', '"', '\\', '\n', '\ud800', '\udc00', 'é', '€', '😀', '\u2028'),
    fc.string({ unit: 'binary', maxLength: 1 }),
  ),
  maxLength: 64,
});

describe('jsonBytesBound', () => {
  it('never counts fewer bytes than JSON.stringify writes, over random JSON-like values', () => {
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(nastyString, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.date({ noInvalidDate: true })),
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 5 }), fc.dictionary(nastyString, tie('node'), { maxKeys: 5 })),
    })).node;
    fc.assert(fc.property(value, (v) => jsonBytesBound(v) >= exact(v)), { numRuns: 2000 });
  });

  it('is exact for the worst string: every unit escaped as \\uXXXX', () => {
    const worst = '\u0001'.repeat(1000);
    expect(jsonBytesBound(worst)).toBe(exact(worst));
    const lone = '\ud800'.repeat(10); // lone surrogates, each written as \ud800
    expect(jsonBytesBound(lone)).toBe(exact(lone));
  });
});
