/**
 * Event store bench: the SQLite adapter against raw better-sqlite3 ceilings measured
 * on the same machine in the same run, so the ratios mean something on a noisy box.
 *
 *   npm run bench:eventstore            # 3 rounds x 3 s per figure, median reported
 *   npm run bench:eventstore -- --short # 1 round x 1 s
 *
 * Targets (issue 2, not asserted anywhere): 50-writer appends >= 5x the
 * one-INSERT-per-transaction ceiling and >= 0.5x the 100-rows-per-transaction ceiling.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/eventstore/sqlite/database.js';
import { openSqliteEventStore } from '../src/eventstore/sqlite/index.js';

const short = process.argv.includes('--short');
const ROUNDS = short ? 1 : 3;
const SECONDS = short ? 1 : 3;
const WRITERS = 50;
const dir = mkdtempSync(join(tmpdir(), 'ledgerhook-bench-'));
let fileNumber = 0;
const freshFile = (): string => join(dir, `bench-${(fileNumber += 1)}.db`);

const payload = (i: number): string => JSON.stringify({ messageId: randomUUID(), attempt: i, url: 'https://example.test/hook', status: 200 });
const INSERT = 'INSERT INTO events (id, stream, revision, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)';

/** Runs `step` (which reports how many units it did) for SECONDS; returns units per second. */
async function rate(step: () => number | Promise<number>): Promise<number> {
  let units = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) units += await step();
  return units / ((performance.now() - start) / 1000);
}

/** Raw ceiling: rows per transaction on FULL, same schema as the adapter. Returns rows/s. */
async function rawCeiling(rowsPerTransaction: number): Promise<number> {
  const db = openDatabase({ file: freshFile(), synchronous: 'FULL' });
  const insert = db.prepare(INSERT);
  let n = 0;
  const writeRows = db.transaction((count: number) => {
    for (let i = 0; i < count; i += 1, n += 1) insert.run(randomUUID(), `raw-${n % 1000}`, Math.floor(n / 1000), 'Bench', payload(n), '{}', Date.now());
  });
  try {
    return await rate(() => {
      if (rowsPerTransaction === 1) {
        insert.run(randomUUID(), `raw-${n % 1000}`, Math.floor(n / 1000), 'Bench', payload(n), '{}', Date.now()); // autocommit: one transaction
        n += 1;
        return 1;
      }
      writeRows(rowsPerTransaction);
      return rowsPerTransaction;
    });
  } finally {
    db.close();
  }
}

/** The adapter on FULL: WRITERS concurrent writers, each appending one event at a time to its own stream. */
async function adapterAppends(): Promise<{ perSecond: number; meanBatch: number }> {
  const store = openSqliteEventStore({ file: freshFile(), synchronous: 'FULL' });
  let appended = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  const writer = async (w: number): Promise<void> => {
    const stream = `bench-${w}-${randomUUID()}`;
    let expected: bigint | 'no_stream' = 'no_stream';
    for (let i = 0; performance.now() < end; i += 1) {
      const result = await store.append(stream, [{ id: randomUUID(), type: 'Bench', data: JSON.parse(payload(i)) as unknown }], { expectedRevision: expected });
      expected = result.nextExpectedRevision;
      appended += 1;
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  const perSecond = appended / ((performance.now() - start) / 1000);
  const stats = store.stats();
  await store.close();
  return { perSecond, meanBatch: stats.appends / Math.max(stats.transactions, 1) };
}

/** Reads through the adapter: one 10-event stream at a time, then a full scan of the global log. */
async function adapterReads(): Promise<{ streamReads: number; scanRows: number; logSize: number }> {
  const store = openSqliteEventStore({ file: freshFile(), synchronous: 'NORMAL' });
  const STREAMS = 2000;
  for (let s = 0; s < STREAMS; s += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, k) =>
      store.append(`read-${s + k}`, Array.from({ length: 10 }, (_, i) => ({ id: randomUUID(), type: 'Bench', data: JSON.parse(payload(i)) as unknown })))));
  }
  let next = 0;
  const streamReads = await rate(async () => {
    const events = await store.readStream(`read-${(next = (next + 7919) % STREAMS)}`);
    if (events.length !== 10) throw new Error('bench stream should hold 10 events');
    return 1;
  });
  const scanRows = await rate(async () => {
    let rows = 0;
    let from: bigint | 'start' = 'start';
    for (;;) {
      const page = await store.readAll({ fromPosition: from, maxCount: 1000 });
      if (page.length === 0) return rows;
      rows += page.length;
      from = page[page.length - 1]!.position;
    }
  });
  await store.close();
  return { streamReads, scanRows, logSize: STREAMS * 10 };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const one: number[] = [];
  const fifty: number[] = [];
  const hundred: number[] = [];
  const adapter: number[] = [];
  const batches: number[] = [];
  // Interleave the rounds so a noisy neighbour hurts every figure alike.
  for (let round = 0; round < ROUNDS; round += 1) {
    one.push(await rawCeiling(1));
    fifty.push(await rawCeiling(WRITERS));
    hundred.push(await rawCeiling(100));
    const a = await adapterAppends();
    adapter.push(a.perSecond);
    batches.push(a.meanBatch);
  }
  const reads = await adapterReads();
  const [c1, c50, c100, app] = [median(one), median(fifty), median(hundred), median(adapter)];
  const lines = [
    `event store bench (${short ? 'short: 1 round x 1 s' : `${ROUNDS} rounds x ${SECONDS} s, medians`}), node ${process.version}`,
    `raw ceiling, 1 INSERT per transaction, FULL     ${fmt(c1)} commits/s`,
    `raw ceiling, ${WRITERS} rows per transaction, FULL      ${fmt(c50)} rows/s (the most ${WRITERS} one-at-a-time writers can share a commit)`,
    `raw ceiling, 100 rows per transaction, FULL     ${fmt(c100)} rows/s`,
    `adapter, ${WRITERS} concurrent single-event writers, FULL ${fmt(app)} appends/s (mean ${median(batches).toFixed(1)} appends per transaction)`,
    `adapter, read one 10-event stream               ${fmt(reads.streamReads)} reads/s`,
    `adapter, full global-log scan (${fmt(reads.logSize)} events) ${fmt(reads.scanRows)} rows/s`,
    `ratio adapter / 1-per-tx ceiling                ${(app / c1).toFixed(2)}x (target >= 5x)`,
    `ratio adapter / 100-per-tx ceiling              ${(app / c100).toFixed(2)}x (target >= 0.5x)`,
    `ratio adapter / ${WRITERS}-per-tx ceiling               ${(app / c50).toFixed(2)}x (group-commit overhead; 1.0 = none)`,
  ];
  console.log(lines.join('\n'));
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
