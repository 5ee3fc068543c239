/**
 * Delivery bench: the whole delivery path in one process (SQLite event store on FULL, the
 * projection runner, the scheduler, the real deliverer) against a local HTTPS receiver that
 * answers at once, running in a child process so it does not share the scheduler's event loop.
 *
 *   npm run bench:delivery             # 2 x 20,000 messages; 1,000 retry-now pickups
 *   npm run bench:delivery -- --short  # 2 x 4,000 messages; 200 pickups
 *   options: --concurrency=N (DELIVERY_CONCURRENCY, default 256), --sync=NORMAL (default FULL)
 *
 * Figures:
 * - baseline: signed HTTPS POSTs/s by the same deliverer (same agent pool, same concurrency, warm
 *   connections) to the same receiver, with no store, projection or scheduler, measured before
 *   and after the rest (the mean is the ratio's denominator): the ceiling of this machine;
 * - backlog drain: messages queued before the scheduler starts; deliveries/s from its start to
 *   the last success recorded (the scheduler alone, no senders competing for the store);
 * - send -> delivered: messages queued by concurrent senders through handleCommand while the
 *   scheduler delivers; deliveries/s from the first send to the last success recorded, and the
 *   ratio to the baseline (the scheduler's and the store's overhead);
 * - retry-now pickup: messages in pending_retry (their first attempt got a 503, next attempt in
 *   30 min) are expedited one by one at a steady rate; latency from the RetryExpedited append
 *   to the DeliveryAttemptStarted append, p50 / p99 / max.
 * Targets (issue 6, not asserted): >= 1,500 deliveries/s; pickup p99 <= 250 ms.
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { handleCommand } from '../src/commands/handle.js';
import { decodeEndpointEvent, endpointDecider } from '../src/domain/endpoint/index.js';
import { decodeMessageEvent, messageDecider, type MessageCommand } from '../src/domain/message/index.js';
import { defaultRetryPolicy } from '../src/domain/retryPolicy.js';
import { endpointStream, messageStream, parseStream } from '../src/domain/streams.js';
import type { EventStore } from '../src/eventstore/port.js';
import { openSqliteEventStore } from '../src/eventstore/sqlite/index.js';
import { createProjectionRunner, openReadModels } from '../src/projections/index.js';
import { createDeliverer } from '../src/scheduler/deliver.js';
import { createScheduler } from '../src/scheduler/scheduler.js';
import { testCertificate } from '../test/support/testCertificate.js';

const short = process.argv.includes('--short');
const MESSAGES = short ? 4_000 : 20_000;
const PICKUPS = short ? 200 : 1_000;
const PICKUP_RATE_PER_S = 100;
const BASELINE_POSTS = short ? 4_000 : 10_000;
const SENDERS = 64;
const ENDPOINTS = 16;
const flag = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const GLOBAL = Number(flag('concurrency') ?? 256);
const SYNC = flag('sync') === 'NORMAL' ? 'NORMAL' : 'FULL';
const PER_ENDPOINT = Math.max(16, Math.ceil(GLOBAL / ENDPOINTS));
const policy = defaultRetryPolicy;
const meta = { actor: 'bench' };
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const payload = JSON.stringify({ type: 'invoice.paid', data: { id: 'inv_1', amount: 1200, currency: 'EUR', lines: [1, 2, 3] } });
const payloadSha = createHash('sha256').update(payload).digest('hex');

/** The receiver, in a child process: 200 at once; on /flaky a first attempt gets 503. */
const RECEIVER = `
const https = require('node:https'); const fs = require('node:fs');
const server = https.createServer({ cert: fs.readFileSync(process.env.CERT), key: fs.readFileSync(process.env.KEY) }, (req, res) => {
  req.resume();
  req.on('end', () => {
    const fail = req.url === '/flaky' && req.headers['x-webhook-attempt'] === '1';
    res.writeHead(fail ? 503 : 200, { 'content-type': 'application/json' });
    res.end(fail ? '{"error":"busy"}' : '{"ok":true}');
  });
});
server.keepAliveTimeout = 10000;
server.listen(0, '127.0.0.1', () => console.log('ready ' + server.address().port));
`;

async function startReceiver(): Promise<{ port: number; stop: () => void }> {
  const { certPath, keyPath } = testCertificate();
  const child = spawn(process.execPath, ['-e', RECEIVER], { env: { ...process.env, CERT: certPath, KEY: keyPath }, stdio: ['ignore', 'pipe', 'inherit'] });
  // The receiver inherits our stderr: it must not outlive a bench that throws.
  process.once('exit', () => child.kill());
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve(Number(line.split(' ')[1])));
    child.once('exit', (code) => reject(new Error(`receiver exited with ${String(code)}`)));
  });
  return { port, stop: () => child.kill() };
}

/** Times when claims and successes were appended, seen at the store the scheduler uses. */
function instrumented(store: EventStore) {
  const started = new Map<string, number>();
  const expedited = new Map<string, number>();
  let succeeded = 0;
  let lastSuccessAt = 0;
  const view: EventStore = {
    ...store,
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    headPosition: () => store.headPosition(),
    close: () => store.close(),
    append: async (stream, events, options) => {
      const result = await store.append(stream, events, options);
      const at = performance.now();
      const id = parseStream(stream)?.id ?? stream;
      for (const event of events) {
        if (event.type === 'DeliveryAttemptStarted' && !started.has(id)) started.set(id, at);
        if (event.type === 'RetryExpedited') expedited.set(id, at);
        if (event.type === 'DeliveryAttemptSucceeded') {
          succeeded += 1;
          lastSuccessAt = at;
        }
      }
      return result;
    },
  };
  return { view, started, expedited, succeeded: () => succeeded, lastSuccessAt: () => lastSuccessAt };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
/** Runs `count` jobs with `width` at a time. */
async function pool(count: number, width: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await job(next++);
  }));
}
const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ledgerhook-bench-delivery-'));
  const receiver = await startReceiver();
  const url = (path: string): string => `https://127.0.0.1:${receiver.port}${path}`;
  const deliverer = createDeliverer({ timeoutMs: 15_000, connectTimeoutMs: 5_000, allowPrivate: true, ca: testCertificate().cert });
  const secret = 'whsec_bench_0123456789abcdefghijklmnop';

  // Baseline: the deliverer alone, same concurrency, same receiver, on warm connections; measured
  // before and after the scheduler runs (the machine's load drifts), the mean reported.
  const postsPerSecond = async (count: number): Promise<number> => {
    const start = performance.now();
    let ok = 0;
    await pool(count, GLOBAL, async (i) => {
      const outcome = await deliverer.deliver({ url: url(`/ep${i % ENDPOINTS}`), body: payload, secrets: [secret], messageId: randomUUID(), attemptNo: 1, now: new Date() });
      if (outcome.kind === 'response' && outcome.status === 200) ok += 1;
    });
    return ok / ((performance.now() - start) / 1000);
  };
  await postsPerSecond(GLOBAL * 2);
  const baselineBefore = await postsPerSecond(BASELINE_POSTS);

  const raw = openSqliteEventStore({ file: join(dir, 'events.sqlite'), synchronous: SYNC });
  const store = instrumented(raw);
  const readModels = openReadModels(join(dir, 'read-models.sqlite'));
  const runner = createProjectionRunner({ store: raw, db: readModels.db, logger: silent });
  runner.start();
  // Counts the scheduler's due-queue reads: their cost grows with the rows listed.
  const dueReads = { calls: 0, rows: 0 };
  const dueRetry = {
    due: (nowMs: number, limit: number) => {
      const rows = readModels.dueRetry.due(nowMs, limit);
      dueReads.calls += 1;
      dueReads.rows += rows.length;
      return rows;
    },
  };
  const scheduler = createScheduler({
    store: store.view, readModels: { dueRetry }, runner, deliverer, policy, logger: silent, instanceId: 'bench',
    pollMs: 1000, leaseMs: 60_000, concurrency: { global: GLOBAL, perEndpoint: PER_ENDPOINT }, shutdownGraceMs: 10_000,
  });

  const now = (): string => new Date().toISOString();
  const endpointIds = Array.from({ length: ENDPOINTS }, (_, i) => `ep_bench_${i}`);
  for (const [i, endpoint_id] of [...endpointIds, 'ep_flaky'].entries()) {
    await handleCommand({
      store: raw, stream: endpointStream(endpoint_id), decider: endpointDecider, decode: decodeEndpointEvent, metadata: meta,
      command: {
        type: 'CreateEndpoint', endpoint_id, project_id: 'proj_bench', url: endpoint_id === 'ep_flaky' ? url('/flaky') : url(`/ep${i}`), description: '',
        headers: {}, rate_limit_rps: 0, burst: 0, signing_key: { key_id: `sk_${i}`, secret, key_hint: 'mnop' }, now: now(),
      },
    });
  }
  const decider = messageDecider(policy);
  const message = (id: string, command: MessageCommand) =>
    handleCommand({ store: raw, stream: messageStream(id), decider, decode: decodeMessageEvent, command, metadata: meta });
  const sendOne = (endpoint_id: string): Promise<unknown> => {
    const id = randomUUID();
    return message(id, {
      type: 'SendMessage', message_id: id, project_id: 'proj_bench', endpoint_id, payload, payload_sha256: payloadSha,
      size_bytes: Buffer.byteLength(payload), content_type: 'application/json', headers: {}, now: now(),
    });
  };
  // Backlog drain: the scheduler alone, on messages queued before it starts.
  await pool(MESSAGES, SENDERS, (i) => sendOne(endpointIds[i % ENDPOINTS] as string).then(() => undefined));
  await runner.waitForPosition((await raw.headPosition()) as bigint, 600_000);
  const drainStart = performance.now();
  scheduler.start();
  await waitFor(() => store.succeeded() >= MESSAGES, 'the backlog to drain', 600_000);
  const drainSeconds = (store.lastSuccessAt() - drainStart) / 1000;
  const drainReads = { ...dueReads };

  // Send -> delivered: senders and scheduler share the store.
  const stats0 = raw.stats();
  const sendStart = performance.now();
  await pool(MESSAGES, SENDERS, (i) => sendOne(endpointIds[i % ENDPOINTS] as string).then(() => undefined));
  const sendSeconds = (performance.now() - sendStart) / 1000;
  await waitFor(() => store.succeeded() >= 2 * MESSAGES, 'all deliveries', 600_000);
  const deliverSeconds = (store.lastSuccessAt() - sendStart) / 1000;
  const stats1 = raw.stats();

  // Retry-now pickup.
  const flaky: string[] = [];
  await pool(PICKUPS, SENDERS, async () => {
    const id = randomUUID();
    flaky.push(id);
    await message(id, {
      type: 'SendMessage', message_id: id, project_id: 'proj_bench', endpoint_id: 'ep_flaky', payload, payload_sha256: payloadSha,
      size_bytes: Buffer.byteLength(payload), content_type: 'application/json', headers: {}, now: now(),
    });
  });
  // Every first attempt failed (503) and has its retry scheduled 30 min out.
  await waitFor(() => flaky.every((id) => readModels.dueRetry.get(id)?.status === 'pending_retry'), 'first attempts to fail', 120_000);
  for (const id of flaky) store.started.delete(id);
  const gap = 1000 / PICKUP_RATE_PER_S;
  const pickupStart = performance.now();
  for (const [i, id] of flaky.entries()) {
    const due = pickupStart + i * gap;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    await handleCommand({ store: store.view, stream: messageStream(id), decider, decode: decodeMessageEvent, command: { type: 'RetryNow', now: now() }, metadata: meta });
  }
  await waitFor(() => flaky.every((id) => store.started.has(id)), 'expedited attempts to start', 60_000);
  const latencies = flaky.map((id) => Math.max(0, (store.started.get(id) as number) - (store.expedited.get(id) as number))).sort((a, b) => a - b);

  await scheduler.stop();
  await runner.stop();
  const baselineAfter = await postsPerSecond(BASELINE_POSTS);
  const baseline = (baselineBefore + baselineAfter) / 2;
  deliverer.close();
  readModels.close();
  await raw.close();
  receiver.stop();
  rmSync(dir, { recursive: true, force: true });

  const deliveries = MESSAGES / deliverSeconds;
  const drained = MESSAGES / drainSeconds;
  const appends = stats1.appends - stats0.appends;
  const transactions = stats1.transactions - stats0.transactions;
  console.log([
    `delivery bench${short ? ' (--short)' : ''}: ${MESSAGES} messages to ${ENDPOINTS} endpoints, concurrency ${GLOBAL} (${PER_ENDPOINT}/endpoint), SQLite ${SYNC}`,
    `  baseline: deliverer alone, ${BASELINE_POSTS} signed POSTs, warm   ${fmt(baseline)} POSTs/s (before ${fmt(baselineBefore)}, after ${fmt(baselineAfter)})`,
    `  backlog drain (scheduler alone, ${MESSAGES} queued)      ${fmt(drained)} deliveries/s  (${fmt(drainSeconds, 2)} s) = ${fmt(drained / baseline, 2)}x baseline`,
    `  send -> delivered (${SENDERS} senders while delivering)   ${fmt(deliveries)} deliveries/s  (${fmt(deliverSeconds, 2)} s; the sends took ${fmt(sendSeconds, 2)} s) = ${fmt(deliveries / baseline, 2)}x baseline`,
    `  due queue reads while draining: ${fmt(drainReads.calls)} (${fmt(drainReads.calls / MESSAGES, 2)} per delivery, ${fmt(drainReads.rows / Math.max(1, drainReads.calls))} rows each)`,
    `  store during send -> delivered: ${fmt(appends)} appends in ${fmt(transactions)} transactions (${fmt(appends / Math.max(1, transactions), 1)} per commit)`,
    `  retry-now pickup over ${PICKUPS} (${PICKUP_RATE_PER_S}/s): p50 ${fmt(percentile(latencies, 50), 1)} ms, p99 ${fmt(percentile(latencies, 99), 1)} ms, max ${fmt(latencies.at(-1) ?? NaN, 1)} ms`,
    `  targets (not asserted): >= 1,500 deliveries/s; pickup p99 <= 250 ms`,
  ].join('\n'));
}

await main();
