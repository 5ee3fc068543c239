import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rawJsonMember } from '../../../src/api/routes/support/rawJsonMember.js';

/** The send route stores the payload's text as sent: the scanner must find exactly that member. */
describe('rawJsonMember', () => {
  it('returns text that parses to the member JSON.parse sees, whatever the spacing and neighbours', () => {
    const body = fc.record({ before: fc.jsonValue(), payload: fc.jsonValue(), after: fc.jsonValue() });
    fc.assert(
      fc.property(body, fc.constantFrom(0, 1, 2, '\t'), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const raw = rawJsonMember(text, 'payload');
        expect(raw).toBeDefined();
        expect(JSON.parse(raw as string)).toStrictEqual(JSON.parse(text).payload);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the spelling of numbers and escapes, takes the last of duplicate keys, and ignores nested ones', () => {
    expect(rawJsonMember('{"payload": {"n": 1.0, "big": 12345678901234567890, "s": "\\u00e9\\"}"} }', 'payload')).toBe('{"n": 1.0, "big": 12345678901234567890, "s": "\\u00e9\\"}"}');
    expect(rawJsonMember('{"payload":1,"payload":{"second":true}}', 'payload')).toBe('{"second":true}');
    expect(rawJsonMember('{"a":{"payload":1},"b":[{"payload":2}]}', 'payload')).toBeUndefined();
    expect(rawJsonMember('{"pay\\u006coad":{"escaped":"key"}}', 'payload')).toBe('{"escaped":"key"}');
    expect(rawJsonMember('[{"payload":1}]', 'payload')).toBeUndefined();
  });
});
