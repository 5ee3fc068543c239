import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { epochMs } from '../../src/projections/epochMs.js';

/** Same answer as Date.parse, NaN included. */
const agrees = (s: string): void => {
  expect(Object.is(epochMs(s), Date.parse(s)), `${s}: ${epochMs(s)} vs ${Date.parse(s)}`).toBe(true);
};

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
/** The fast path's shape with each field drawn past its valid range (month 13, day 31 of a short month, hour 24, ...). */
const nearlyIso = fc
  .record({
    year: fc.integer({ min: 0, max: 9999 }),
    month: fc.integer({ min: 0, max: 19 }),
    day: fc.integer({ min: 0, max: 39 }),
    hour: fc.integer({ min: 0, max: 29 }),
    minute: fc.integer({ min: 0, max: 69 }),
    second: fc.integer({ min: 0, max: 69 }),
    milli: fc.integer({ min: 0, max: 999 }),
  })
  .map(({ year, month, day, hour, minute, second, milli }) =>
    `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(milli, 3)}Z`);

describe('epochMs: ISO-8601 text to epoch ms', () => {
  it('answers as Date.parse for any toISOString() output of years 0-9999', () => {
    fc.assert(fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (t) => {
      const iso = new Date(t).toISOString();
      expect(epochMs(iso)).toBe(t);
      agrees(iso);
    }), { numRuns: 5000 });
  });

  it('answers as Date.parse for the same shape with fields out of range (Feb 29 of non-leap years, hour 24, month 13)', () => {
    fc.assert(fc.property(nearlyIso, agrees), { numRuns: 5000 });
    for (const s of ['2024-02-29T00:00:00.000Z', '2023-02-29T00:00:00.000Z', '2100-02-29T00:00:00.000Z', '2000-02-29T12:00:00.000Z',
      '2026-04-31T00:00:00.000Z', '2026-01-01T24:00:00.000Z', '0000-01-01T00:00:00.000Z', '0000-02-29T00:00:00.000Z']) agrees(s);
  });

  it('answers as Date.parse for one character of a valid time replaced by anything', () => {
    const valid = fc.date({ min: new Date(0), max: new Date(4_102_444_800_000), noInvalidDate: true }).map((d) => d.toISOString());
    fc.assert(fc.property(valid, fc.nat(23), fc.string({ unit: 'binary', minLength: 0, maxLength: 2 }), (iso, at, put) => {
      agrees(iso.slice(0, at) + put + iso.slice(at + 1));
    }), { numRuns: 5000 });
  });

  it('answers as Date.parse for other forms and any text (offsets, no millis, local times, garbage)', () => {
    for (const s of ['2026-01-01T00:00:00Z', '2026-01-01T01:00:00.000+01:00', '2026-01-01T00:00:00.0000Z', '2026-01-01', '2026-01-01T00:00:00.000',
      '+002026-01-01T00:00:00.000Z', '2026-01-01t00:00:00.000z', ' 2026-01-01T00:00:00.000Z', '', 'not a time']) agrees(s);
    fc.assert(fc.property(fc.string({ minLength: 20, maxLength: 26 }), agrees), { numRuns: 2000 });
  });
});
