import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allEventSchemas, decodeEvent, type AnyDomainEvent } from '../../src/domain/events.js';
import { compileCheck } from '../../src/domain/schemaCheck.js';
import * as e from '../projections/support/events.js';

/**
 * The decoder's fast path (checks derived from the zod schemas) must never accept what zod
 * refuses, nor return anything but what zod would: checked over valid events of every
 * kind, each with random damage (a field replaced, dropped or added, also inside nested
 * objects). When the check says no, zod decides, so a "no" is always safe.
 */
const samples: AnyDomainEvent[] = [
  e.queued('msg_1', 1), e.started('msg_1', 1, 2), e.succeeded('msg_1', 1, 3), e.failed('msg_1', 1, 3), e.timedOut('msg_1', 1, 3),
  e.retryScheduled('msg_1', 1, 3, 30), e.expedited('msg_1', 4), e.cancelled('msg_1', 4), e.abandoned('msg_1', 1, 5),
  e.failedPermanently('msg_1', 6, 1), e.replayed('msg_1', 7), e.endpointCreated('ep_1', 0), e.endpointPaused('ep_1', 1),
  e.endpointResumed('ep_1', 2), e.endpointUpdated('ep_1', 3, { url: 'https://example.com/x', headers: { 'x-a': 'b' } }),
  e.endpointDeleted('ep_1', 4), e.projectCreated('proj_1', 0), e.apiKeyCreated('proj_1', 'key_1', 'ef'.repeat(32), 0),
  e.apiKeyDeleted('proj_1', 'key_1', 1),
];
const schemaOf = (type: string) => allEventSchemas[type as keyof typeof allEventSchemas];

const tricky = fc.oneof(
  fc.anything(),
  fc.constantFrom<unknown>(
    '', 'x', '\uD83D', '\uD83D\uDE00', 0, -1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, null, undefined, true, [], {}, { a: 1 },
    '2026-01-01T00:00:00Z', '2026-02-30T00:00:00.000Z', '2026-01-01 00:00:00', 'ab'.repeat(32), 'AB'.repeat(32), 99, 100, 299, 300, 599, 600,
    'timeout', 'fast', 'cancelled', 2,
  ),
);

type Damage = { kind: 'set' | 'drop' | 'add'; pick: number; nested: boolean; value: unknown };
const damageArb: fc.Arbitrary<Damage> = fc.record({ kind: fc.constantFrom('set', 'drop', 'add'), pick: fc.nat(), nested: fc.boolean(), value: tricky });

function damaged(data: unknown, damage: Damage): unknown {
  const copy = JSON.parse(JSON.stringify(data)) as Record<string, unknown>; // as the store hands it out
  let target = copy;
  const keys = Object.keys(copy);
  if (damage.nested) {
    const inner = keys.map((k) => copy[k]).find((v): v is Record<string, unknown> => typeof v === 'object' && v !== null);
    if (inner !== undefined) target = inner;
  }
  const own = Object.keys(target);
  const key = own.length === 0 || damage.kind === 'add' ? `extra_${damage.pick % 3}` : own[damage.pick % own.length]!;
  if (damage.kind === 'drop') delete target[key];
  else target[key] = damage.value;
  return copy;
}

describe('checks derived from the event schemas', () => {
  it('take the fast path for every valid sample (message events above all: they are the volume)', () => {
    for (const sample of samples) {
      const check = compileCheck(schemaOf(sample.type));
      if (sample.type === 'ApiKeyCreated') continue; // a max_length check: not derived, zod decodes it
      expect(check, sample.type).toBeDefined();
      expect(check!(JSON.parse(JSON.stringify(sample.data))), sample.type).toBe(true);
    }
  });

  it('accept only what zod accepts, and then exactly what zod returns', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(damageArb, { minLength: 1, maxLength: 3 }), (sample, damages) => {
        const data = damages.reduce<unknown>((d, damage) => damaged(d, damage), sample.data);
        const schema = schemaOf(sample.type);
        const check = compileCheck(schema);
        if (check === undefined || !check(data)) return;
        const parsed = schema.safeParse(data);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toStrictEqual(data);
      }),
      { numRuns: 3000 },
    );
  });

  it('leave strings near a code-point bound to zod', () => {
    const check = compileCheck(schemaOf('MessageQueued'))!;
    const short = { ...JSON.parse(JSON.stringify(e.queued('msg_1', 1).data)), message_id: 'x' }; // min(1): 1 unit is in doubt
    expect(check(short)).toBe(false);
    expect(decodeEvent({ type: 'MessageQueued', data: short, stream: 'message-x', revision: 0n }).data).toEqual(short);
    expect(check({ ...short, message_id: '\uD83D\uDE00' })).toBe(true); // 2 units: at least one code point
  });

  it("leave zod's standalone number types (their rule sits on the schema, not in its checks) to zod", () => {
    for (const schema of [z.int(), z.uint32(), z.float32(), z.object({ n: z.int() })]) expect(compileCheck(schema)).toBeUndefined();
    expect(compileCheck(z.number().int())!(1.5)).toBe(false);
  });

  it('still refuse through zod, with its words, what the check refuses', () => {
    const data = { ...JSON.parse(JSON.stringify(e.queued('msg_1', 1).data)), size_bytes: -1 };
    expect(() => decodeEvent({ type: 'MessageQueued', data, stream: 'message-x', revision: 4n })).toThrow(/size_bytes/);
  });
});
