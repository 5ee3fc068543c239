import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore, type SqliteEventStore } from '../../src/eventstore/sqlite/index.js';
import { allProjections } from '../../src/projections/all.js';
import { openReadModelDatabase } from '../../src/projections/database.js';
import type { Projection, ProjectionName } from '../../src/projections/projection.js';
import { createProjectionRunner } from '../../src/projections/runner.js';
import type { AnyDomainEvent } from '../../src/domain/events.js';
import { dumpReadModels } from './support/dump.js';
import * as e from './support/events.js';
import { appendAll, silentLogger, tempDir } from './support/harness.js';

/** A projection that fails inside the runner's transaction when it meets a given event, after the real ones wrote theirs. */
function faultAt(type: string, times: number): Projection & { failures: () => number } {
  let failures = 0;
  return {
    name: 'fault' as ProjectionName,
    tables: [],
    writer: () => ({
      apply(event) {
        if (event.type === type && failures < times) {
          failures += 1;
          throw new Error('killed mid-batch');
        }
      },
      flush: () => undefined,
      discard: () => undefined,
    }),
    failures: () => failures,
  };
}

function history(): AnyDomainEvent[] {
  const events: AnyDomainEvent[] = [e.endpointCreated('ep_1', 0)];
  for (let i = 0; i < 30; i++) {
    const id = `m${i}`;
    events.push(e.queued(id, i), e.started(id, 1, i + 1));
    if (i % 3 === 0) events.push(e.succeeded(id, 1, i + 2));
    else events.push(e.failed(id, 1, i + 2), e.retryScheduled(id, 1, i + 2, 60));
  }
  events.push(e.endpointPaused('ep_1', 100));
  return events;
}

let dir: string;
let cleanup: () => void;
let store: SqliteEventStore;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  store = openSqliteEventStore({ file: join(dir, 'events.sqlite'), subscriptionBatchSize: 7 });
});
afterEach(async () => {
  await store.close();
  cleanup();
});

/** The same log folded from zero in one go, into a separate file. */
async function referenceDump(): Promise<Record<string, unknown[]>> {
  const db = openReadModelDatabase(join(dir, 'reference.sqlite'));
  const runner = createProjectionRunner({ store, db, logger: silentLogger });
  runner.start();
  const head = await store.headPosition();
  expect(await runner.waitForPosition(head as bigint, 5000)).toBe(true);
  await runner.stop();
  const dump = dumpReadModels(db);
  db.close();
  return dump;
}

describe('a dropped subscription', () => {
  it('resubscribes and carries on from its checkpoint', async () => {
    const db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    const runner = createProjectionRunner({ store, db, logger: silentLogger });
    runner.start();
    const events = history();
    expect(await runner.waitForPosition(await appendAll(store, events.slice(0, 40)), 5000)).toBe(true);
    store.dropSubscriptions();
    const head = await appendAll(store, events.slice(40));
    expect(await runner.waitForPosition(head, 10_000)).toBe(true);
    await runner.stop();
    expect(dumpReadModels(db)).toEqual(await referenceDump());
    db.close();
  });
});

describe('a runner killed mid-batch', () => {
  it('rolls the batch back and, retrying, applies no event twice and skips none', async () => {
    const fault = faultAt('RetryScheduled', 2);
    const db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    const runner = createProjectionRunner({ store, db, logger: silentLogger, projections: [...allProjections, fault] });
    runner.start();
    const head = await appendAll(store, history());
    expect(await runner.waitForPosition(head, 10_000)).toBe(true);
    await runner.stop();
    expect(fault.failures()).toBe(2);
    expect(dumpReadModels(db)).toEqual(await referenceDump());
    db.close();
  });

  it('restarted on a fresh connection after its database was closed mid-run, ends equal to a rebuild from zero', async () => {
    const file = join(dir, 'read-models.sqlite');
    const fault = faultAt('DeliveryAttemptSucceeded', Number.MAX_SAFE_INTEGER);
    const first = openReadModelDatabase(file);
    const dying = createProjectionRunner({ store, db: first, logger: silentLogger, projections: [...allProjections, fault] });
    dying.start();
    const head = await appendAll(store, history());
    await expect.poll(() => fault.failures(), { timeout: 5000 }).toBeGreaterThan(0);
    const stopped = dying.stop();
    first.close(); // the process dies: its connection goes with it, whatever was in flight
    await stopped.catch(() => undefined);

    const db = openReadModelDatabase(file);
    const runner = createProjectionRunner({ store, db, logger: silentLogger });
    runner.start();
    expect(await runner.waitForPosition(head, 10_000)).toBe(true);
    await runner.stop();
    expect(dumpReadModels(db)).toEqual(await referenceDump());
    db.close();
  });
});
