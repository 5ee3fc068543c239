import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpTables } from './support/eventLog.js';
import { crashApiKey, runCrashScenario, type CrashRun } from './support/crashRun.js';

// kill -9 at random moments under a mixed load, restart, and check what users trust the service
// for. The short form (3 kills) runs in `npm test`; `npm run test:crash` sets CRASH_KILLS=10 for
// the long form. CRASH_SEED repeats a run; CRASH_SYNCHRONOUS=NORMAL runs the store without FULL;
// CRASH_STORE=esdb runs the service on the EventStoreDB stand-in (its own process, not killed).
const kills = Number(process.env.CRASH_KILLS ?? 3);
const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
const synchronous = process.env.CRASH_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL';
const store = process.env.CRASH_STORE === 'esdb' ? 'esdb' : 'sqlite';

describe(`crash suite: ${kills} kills (seed ${seed}, ${store}, synchronous ${synchronous})`, { timeout: 60_000 + kills * 15_000 }, () => {
  let run: CrashRun;

  beforeAll(async () => {
    run = await runCrashScenario({ kills, seed, settleMs: 30_000, synchronous, store });
  }, 60_000 + kills * 15_000);

  afterAll(() => {
    if (run === undefined) return;
    rmSync(run.dataDir, { recursive: true, force: true });
    rmSync(run.rebuiltDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged request in the log', () => {
    const byOp = (op: string): number => run.acknowledged.filter((a) => a.op === op).length;
    expect(byOp('send'), 'the load sent messages').toBeGreaterThan(0);
    const missing: string[] = [];
    for (const ack of run.acknowledged) {
      const events = run.streams.get(ack.messageId) ?? [];
      const mine = events.filter((e) => e.metadata.request_id === ack.requestId).map((e) => e.type);
      const types = events.map((e) => e.type);
      const ok = ((): boolean => {
        switch (ack.op) {
          case 'send':
            return mine.includes('MessageQueued');
          case 'retry-now':
            // A repeat before pickup is answered 200 without a second event (idempotent).
            return mine.includes('RetryExpedited') || types.includes('RetryExpedited');
          case 'cancel':
            return mine.includes('RetryCancelled') || mine.includes('MessageFailedPermanently');
          case 'replay':
            return mine.includes('MessageReplayed');
          case 'resend':
            // The first request may have written the message before the kill; either way it exists.
            return types.includes('MessageQueued');
          default: {
            const never: never = ack.op;
            return never;
          }
        }
      })();
      if (!ok) missing.push(`${ack.op} ${ack.messageId} ${ack.requestId}: log has ${types.join(',')}`);
    }
    expect(missing).toEqual([]);
  });

  it('makes one message per idempotency key, even where a kill fell between claiming the key and writing the message', () => {
    const byKey = new Map<string, string[]>();
    for (const [id, events] of run.streams) {
      const queued = events.find((e) => e.type === 'MessageQueued');
      const key = queued?.data.idempotency_key;
      if (typeof key === 'string') byKey.set(key, [...(byKey.get(key) ?? []), id]);
    }
    expect([...byKey].filter(([, ids]) => ids.length > 1)).toEqual([]);
    const resent = run.acknowledged.filter((a) => a.op === 'resend');
    expect(new Set(resent.map((a) => a.messageId)).size).toBe(resent.length);
  });

  it('never answers 500 INTERNAL_ERROR, however it was killed before, and never logs the API key', () => {
    expect(Object.keys(run.statuses).filter((code) => code.startsWith('500'))).toEqual([]);
    expect(run.output).toContain('ledgerhook listening');
    expect(run.output).not.toContain(crashApiKey);
  });

  it('leaves no message stuck once the scheduler has run', () => {
    const detail = run.stuck.map((id) => `${id}: ${(run.streams.get(id) ?? []).map((e) => e.type).join(',')}`);
    expect(detail).toEqual([]);
  });

  it('ends every started attempt exactly once, and starts each attempt number once', () => {
    const problems: string[] = [];
    for (const [id, events] of run.streams) {
      const started = events.filter((e) => e.type === 'DeliveryAttemptStarted').map((e) => Number(e.data.attempt_no));
      const ended = events
        .filter((e) => ['DeliveryAttemptSucceeded', 'DeliveryAttemptFailed', 'DeliveryAttemptAbandoned'].includes(e.type))
        .map((e) => Number(e.data.attempt_no));
      if (new Set(started).size !== started.length) problems.push(`${id}: attempt started twice ${started.join(',')}`);
      if (new Set(ended).size !== ended.length) problems.push(`${id}: attempt ended twice ${ended.join(',')}`);
      if ([...started].sort().join() !== [...ended].sort().join()) problems.push(`${id}: started ${started.join(',')} but ended ${ended.join(',')}`);
    }
    expect(problems).toEqual([]);
  });

  it('has read models equal to a fresh rebuild from the log', () => {
    expect(run.rebuildCode, run.rebuildStderr).toBe(0);
    const live = dumpTables(join(run.dataDir, 'read-models.sqlite'));
    const rebuilt = dumpTables(join(run.rebuiltDir, 'read-models.sqlite'));
    expect(Object.keys(rebuilt).sort()).toEqual(Object.keys(live).sort());
    for (const table of Object.keys(live)) expect(rebuilt[table], table).toEqual(live[table]);
  });

  it('delivers no attempt twice; redeliveries only follow attempts a kill left unrecorded', () => {
    const started = new Set<string>();
    const abandoned = new Set<string>();
    for (const [id, events] of run.streams) {
      for (const e of events) {
        if (e.type === 'DeliveryAttemptStarted') started.add(`${id}#${String(e.data.attempt_no)}`);
        if (e.type === 'DeliveryAttemptAbandoned') abandoned.add(`${id}#${String(e.data.attempt_no)}`);
      }
    }
    const counts = new Map<string, number>();
    for (const s of run.seen) counts.set(`${s.messageId}#${s.attempt}`, (counts.get(`${s.messageId}#${s.attempt}`) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([pair]) => pair);
    // Every POST the receiver saw was claimed in the log first.
    expect([...counts.keys()].filter((pair) => !started.has(pair))).toEqual([]);
    // The same (message, attempt) twice could only come from a kill between the POST and its
    // record; attempt numbers are never reused, so even those should be absent.
    expect(twice).toEqual([]);
    // What a crash does duplicate: an attempt the receiver answered whose outcome the log lost
    // (abandoned), so the message was sent again under the next attempt number.
    const lostOutcomes = [...counts.keys()].filter((pair) => abandoned.has(pair));
    // Where the log did record an outcome, it is the receiver's answer.
    const recorded = new Map<string, number | undefined>();
    for (const [id, events] of run.streams) {
      for (const e of events) {
        if (e.type === 'DeliveryAttemptSucceeded' || e.type === 'DeliveryAttemptFailed') {
          recorded.set(`${id}#${String(e.data.attempt_no)}`, e.data.response_status as number | undefined);
        }
      }
    }
    const mismatched = run.seen
      .filter((s) => recorded.has(`${s.messageId}#${s.attempt}`) && recorded.get(`${s.messageId}#${s.attempt}`) !== s.status)
      .map((s) => `${s.messageId}#${s.attempt}: receiver answered ${s.status}, log says ${String(recorded.get(`${s.messageId}#${s.attempt}`))}`);
    expect(mismatched).toEqual([]);
    const acked = run.acknowledged.length;
    console.log(
      JSON.stringify({
        suite: 'crash',
        seed: run.seed,
        store,
        synchronous,
        kills: run.kills,
        requests: run.requests,
        acknowledged: acked,
        unanswered: run.unanswered,
        resent: run.resent,
        statuses: run.statuses,
        messages: run.streams.size,
        posts: run.seen.length,
        samePairTwice: twice.length,
        abandoned: abandoned.size,
        abandonedBeforeAnyPost: [...abandoned].filter((pair) => !counts.has(pair)).length,
        redeliveredAfterLostOutcome: lostOutcomes.length,
        ms: run.ms,
      }),
    );
  });
});
