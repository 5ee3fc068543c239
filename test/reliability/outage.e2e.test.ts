import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdb/testServer.js';
import { startHttpsReceiver, type HttpsReceiver } from '../support/httpsReceiver.js';
import { startServiceProcess, type ServiceProcess } from '../support/serviceProcess.js';
import { testCertificate } from '../support/testCertificate.js';

// The store goes away while the service runs: the API answers 503 SERVICE_UNAVAILABLE promptly
// (bounded by STORE_TIMEOUT_MS, here 1500 ms: the answer must come within 2 s), the scheduler
// backs off and logs the outage once per backoff interval, and both recover by themselves when
// the store returns, with nothing acknowledged lost. EventStoreDB: the test server is stopped
// (crash: its connections vanish) and started again on the same port with its log kept.
// SQLite: another connection holds the write lock (BEGIN EXCLUSIVE; chmod would not stop root).
// The service runs as a child process (it must trust the test receiver through
// NODE_EXTRA_CA_CERTS, read at process start); the EventStoreDB test server runs here, so its
// stop()/start() keep the log.
const apiKey = 'hb_test_outage_suite_key_0000001';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Running {
  service: ServiceProcess;
  receiver: HttpsReceiver;
  logs: { readonly lines: string[] };
  dataDir: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(env: Record<string, string>): Promise<Running> {
  const receiver = await startHttpsReceiver();
  const dataDir = mkdtempSync(join(tmpdir(), 'ledgerhook-outage-'));
  const service = await startServiceProcess({
    DATA_DIR: dataDir,
    NODE_EXTRA_CA_CERTS: testCertificate().certPath,
    BOOTSTRAP_API_KEY: apiKey,
    ALLOW_PRIVATE_ENDPOINTS: 'true',
    SCHEDULER_POLL_MS: '100',
    RETRY_SCHEDULE_SLOW: '1',
    STORE_TIMEOUT_MS: '1500',
    SHUTDOWN_GRACE_MS: '500',
    ...env,
  });
  cleanups.push(async () => {
    await service.stop();
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const url = service.url;
  return {
    service,
    receiver,
    logs: {
      get lines() {
        return service.output().split('\n').filter(Boolean);
      },
    },
    dataDir,
    call: async (method, path, body) => {
      // The 2 s bound: a hung request aborts here and fails the test.
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(2000),
      });
      return { status: res.status, json: await res.json() };
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The scenario both stores go through: messages sent and delivered; one message failing its
 * first attempt so that it comes due during the outage; the outage; what callers and the
 * scheduler see; the return; everything delivered.
 */
async function outageScenario(run: Running, outage: { begin(): Promise<void>; end(): Promise<void> }): Promise<Record<string, unknown>> {
  const endpoint = (await run.call('POST', '/v1/endpoints', { url: run.receiver.url('/outage') })).json.data.id as string;
  const before: string[] = [];
  for (let i = 0; i < 3; i += 1) before.push((await run.call('POST', '/v1/webhooks/send', { endpoint_id: endpoint, payload: { i } })).json.data.message_id as string);
  for (const id of before) await until(`${id} delivered`, async () => ((await run.call('GET', `/v1/messages/${id}`)).json.data.status === 'succeeded' ? true : undefined));
  run.receiver.reply({ status: 500 });
  const due = (await run.call('POST', '/v1/webhooks/send', { endpoint_id: endpoint, payload: { due: true } })).json.data.message_id as string;
  await until('a message waiting for its retry', async () => ((await run.call('GET', `/v1/messages/${due}`)).json.data.status === 'pending_retry' ? true : undefined));

  await outage.begin();
  let ended = false;
  try {
    const down = Date.now();
    const refused = await run.call('POST', '/v1/webhooks/send', { endpoint_id: endpoint, payload: { during: true } });
    expect(refused.status, JSON.stringify(refused.json)).toBe(503);
    expect(refused.json).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) }, meta: { request_id: expect.stringMatching(/^req_/) } });
    const retryNow = await run.call('POST', `/v1/messages/${due}/retry-now`);
    expect(retryNow.status).toBe(503);
    expect(retryNow.json.error.code).toBe('SERVICE_UNAVAILABLE');
    // Stay down long enough for several backoff intervals (250, 500, 1000, 2000 ms).
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const outageMs = Date.now() - down;
    const backoffLines = run.logs.lines.filter((l) => l.includes('the scheduler backs off'));
    ended = true;
    await outage.end();

    const after = await until('the API to accept sends again', async () => {
      const sent = await run.call('POST', '/v1/webhooks/send', { endpoint_id: endpoint, payload: { after: true } });
      return sent.status === 202 ? (sent.json.data.message_id as string) : undefined;
    });
    for (const id of [...before, due, after]) {
      let last: Json;
      await until(`${id} delivered`, async () => {
        last = (await run.call('GET', `/v1/messages/${id}`)).json.data;
        return last.status === 'succeeded' ? true : undefined;
      }).catch((error: unknown) => {
        throw new Error(`${String(error)}; last seen ${JSON.stringify(last)}\n${run.logs.lines.filter((l) => !l.includes('"msg":"request"')).slice(-30).join('\n')}`);
      });
    }
    // The 503 sends were not stored; every 202 was delivered.
    const delivered = new Set(run.receiver.requests.map((r) => r.headers['x-webhook-id']));
    expect([...before, due, after].filter((id) => !delivered.has(id))).toEqual([]);
    expect(run.receiver.requests.some((r) => r.body.includes('during'))).toBe(false);
    expect(backoffLines.length, 'the scheduler logged the outage').toBeGreaterThanOrEqual(1);
    // Once per interval, not once per pass or per message: 250+500+1000+2000 ms fit 4 intervals in 3.75 s.
    expect(backoffLines.length, backoffLines.join('\n')).toBeLessThanOrEqual(Math.ceil(outageMs / 250));
    expect(run.logs.lines.some((l) => l.includes('the scheduler resumes'))).toBe(true);
    return { outageMs, backoffLines: backoffLines.length };
  } finally {
    if (!ended) await outage.end();
  }
}

describe('store outage', () => {
  it('EventStoreDB stopped and started again: 503 while down, back by itself, nothing lost', async () => {
    const esdb: EsdbTestServer = await startEsdbTestServer();
    cleanups.push(() => esdb.stop());
    const run = await start({ EVENTSTORE_CONNECTION_STRING: esdb.connectionString });
    const figures = await outageScenario(run, { begin: () => esdb.stop('crash'), end: () => esdb.start() });
    console.log(JSON.stringify({ suite: 'outage', store: 'eventstoredb', ...figures }));
  });

  // Another process (the CLI, a rebuild) holding the write lock must not freeze this one:
  // appends wait for the lock on a timer (src/eventstore/sqlite/groupCommit.ts), so the API
  // answers 503 within STORE_TIMEOUT_MS and /health keeps answering meanwhile.
  it('SQLite write lock held by another connection: 503 while locked, back by itself, nothing lost', async () => {
    const run = await start({});
    let locker: Database.Database | undefined;
    const figures = await outageScenario(run, {
      begin: async () => {
        locker = new Database(join(run.dataDir, 'events.sqlite'));
        locker.exec('BEGIN EXCLUSIVE');
      },
      end: async () => {
        locker?.exec('COMMIT');
        locker?.close();
      },
    });
    console.log(JSON.stringify({ suite: 'outage', store: 'sqlite', ...figures }));
  });
});
