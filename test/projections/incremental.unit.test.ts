import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allProjections } from '../../src/projections/all.js';
import { applyWithCheckpoints, bindWriters, decodeBatch } from '../../src/projections/batch.js';
import { checkpointStore, ensureTables, openReadModelDatabase } from '../../src/projections/database.js';
import type { RecordedEvent } from '../../src/eventstore/port.js';
import { dumpReadModels } from './support/dump.js';
import { silentLogger } from './support/harness.js';
import { historyArb, recorded } from './support/histories.js';

function fresh() {
  const db = openReadModelDatabase(':memory:');
  ensureTables(db, allProjections);
  const bound = bindWriters(db, allProjections);
  const checkpoints = checkpointStore(db);
  const apply = (events: readonly RecordedEvent[]) => db.transaction(() => applyWithCheckpoints(bound, decodeBatch(events, silentLogger), checkpoints))();
  return { db, apply, checkpoints };
}

describe('a read model built incrementally equals one rebuilt from zero', () => {
  it('over random histories, random batch sizes and at-least-once re-deliveries', () => {
    fc.assert(
      fc.property(historyArb, fc.array(fc.record({ size: fc.integer({ min: 1, max: 40 }), back: fc.nat(10) }), { minLength: 1, maxLength: 50 }), (history, cuts) => {
        const events = recorded(history);
        const once = fresh();
        once.apply(events);

        const incremental = fresh();
        let next = 0;
        for (let i = 0; next < events.length; i++) {
          const cut = cuts[i % cuts.length]!;
          const from = Math.max(0, next - cut.back); // a re-delivery overlaps what was applied
          incremental.apply(events.slice(from, next + cut.size));
          next += cut.size;
        }
        expect(dumpReadModels(incremental.db)).toEqual(dumpReadModels(once.db));
        expect(incremental.checkpoints.all()).toEqual(once.checkpoints.all());
        once.db.close();
        incremental.db.close();
      }),
      { numRuns: 60 },
    );
  });
});
