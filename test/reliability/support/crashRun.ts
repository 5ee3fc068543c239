import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startServiceProcess, type ServiceProcess } from '../../support/serviceProcess.js';
import { testCertificate } from '../../support/testCertificate.js';
import { startEsdbProcess, type EsdbProcess } from '../../support/esdbProcess.js';
import { readMessageStreams, readMessageStreamsFromEsdb, lifecycleStatus, type LoggedEvent } from './eventLog.js';
import { seededRandom, startFlakyReceiver, type SeenAttempt } from './flakyReceiver.js';

/**
 * The crash scenario: the service as a child process on a fresh DATA_DIR, a mixed load of
 * send / retry-now / cancel / replay from a few concurrent callers, deliveries to a receiver
 * that fails a share of attempts, and kill -9 at seeded random moments followed by a restart.
 * Returns what the callers were told and what the receiver saw; the checks live in the test.
 */
/** 'resend': a send whose answer a kill swallowed, repeated with its idempotency key after the last restart. */
export type Operation = 'send' | 'retry-now' | 'cancel' | 'replay' | 'resend';

export interface Acknowledged {
  readonly op: Operation;
  readonly messageId: string;
  readonly status: number;
  readonly requestId: string;
}

export interface CrashRun {
  readonly seed: number;
  readonly kills: number;
  readonly requests: number;
  /** Requests that got no answer (the process died under them or was down). */
  readonly unanswered: number;
  /** Unanswered sends repeated with their idempotency key at the end. */
  readonly resent: number;
  readonly acknowledged: Acknowledged[];
  /** How many answers of each HTTP status the load got. */
  readonly statuses: Record<string, number>;
  readonly seen: SeenAttempt[];
  readonly dataDir: string;
  /** Where the log is: the SQLite file, or the EventStoreDB connection string. */
  readonly log: string;
  readonly output: string;
  readonly ms: number;
  /** Message ids still not terminal once the scheduler had time to finish them. */
  readonly stuck: string[];
  readonly streams: Map<string, LoggedEvent[]>;
  readonly rebuiltDir: string;
  readonly rebuildCode: number | null;
  readonly rebuildStderr: string;
}

export const crashApiKey = 'hb_test_crash_suite_key_00000001';
const apiKey = crashApiKey;

export async function runCrashScenario(options: {
  kills: number;
  seed: number;
  settleMs: number;
  synchronous?: 'FULL' | 'NORMAL';
  /** 'esdb': the service on the EventStoreDB stand-in (its own process, never killed). */
  store?: 'sqlite' | 'esdb';
}): Promise<CrashRun> {
  const esdb: EsdbProcess | undefined = options.store === 'esdb' ? await startEsdbProcess() : undefined;
  try {
    return await scenario(options, esdb);
  } finally {
    await esdb?.stop();
  }
}

async function scenario(options: { kills: number; seed: number; settleMs: number; synchronous?: 'FULL' | 'NORMAL' }, esdb: EsdbProcess | undefined): Promise<CrashRun> {
  const started = Date.now();
  const random = seededRandom(options.seed);
  const receiver = await startFlakyReceiver({ failShare: 0.35, seed: options.seed + 1, delayMs: 15 });
  const dataDir = mkdtempSync(join(tmpdir(), 'ledgerhook-crash-'));
  const env = {
    DATA_DIR: dataDir,
    BOOTSTRAP_API_KEY: apiKey,
    ALLOW_PRIVATE_ENDPOINTS: 'true',
    NODE_EXTRA_CA_CERTS: testCertificate().certPath,
    RETRY_SCHEDULE_SLOW: '1,1,1',
    RETRY_SCHEDULE_FAST: '1,1,1',
    MAX_ATTEMPTS: '3',
    SCHEDULER_POLL_MS: '100',
    LEASE_MS: '3000',
    DELIVERY_TIMEOUT_MS: '2000',
    SHUTDOWN_GRACE_MS: '2000',
    // kill -9 must lose nothing acknowledged under either setting (NORMAL only risks power loss).
    SQLITE_SYNCHRONOUS: options.synchronous ?? 'FULL',
    ...(esdb === undefined ? {} : { EVENTSTORE_CONNECTION_STRING: esdb.connectionString }),
  };
  let output = '';
  let service: ServiceProcess = await startServiceProcess(env);
  let url: string | undefined = service.url;

  const statuses: Record<string, number> = {};
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> } | undefined> => {
    if (url === undefined) return undefined;
    try {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
      const json = (await res.json()) as Record<string, unknown>;
      const code = res.status >= 400 ? `${res.status} ${String((json.error as { code?: string } | undefined)?.code)}` : String(res.status);
      statuses[code] = (statuses[code] ?? 0) + 1;
      return { status: res.status, json };
    } catch {
      return undefined;
    }
  };

  const endpoint = await call('POST', '/v1/endpoints', { url: receiver.url, description: 'crash suite' });
  if (endpoint?.status !== 201) throw new Error(`endpoint creation failed: ${JSON.stringify(endpoint)}`);
  const endpointId = (endpoint.json.data as { id: string }).id;

  const acknowledged: Acknowledged[] = [];
  const known: string[] = [];
  let requests = 0;
  const unansweredSends: unknown[] = [];
  let unanswered = 0;
  let loading = true;
  const requestIdOf = (json: Record<string, unknown>): string => String((json.meta as { request_id?: string } | undefined)?.request_id);

  const worker = async (): Promise<void> => {
    while (loading) {
      if (url === undefined) {
        await sleep(30);
        continue;
      }
      const roll = random();
      const op: Operation = known.length === 0 || roll < 0.45 ? 'send' : roll < 0.7 ? 'retry-now' : roll < 0.8 ? 'cancel' : 'replay';
      requests += 1;
      if (op === 'send') {
        const body = { endpoint_id: endpointId, payload: { n: requests }, idempotency_key: `crash-${options.seed}-${requests}` };
        const answer = await call('POST', '/v1/webhooks/send', body);
        if (answer === undefined) {
          unanswered += 1;
          unansweredSends.push(body);
        }
        else if (answer.status >= 200 && answer.status < 300) {
          const messageId = (answer.json.data as { message_id: string }).message_id;
          known.push(messageId);
          acknowledged.push({ op, messageId, status: answer.status, requestId: requestIdOf(answer.json) });
        }
      } else {
        const messageId = known[Math.floor(random() * known.length)] as string;
        const answer = await call('POST', `/v1/messages/${messageId}/${op}`);
        if (answer === undefined) unanswered += 1;
        else if (answer.status >= 200 && answer.status < 300) acknowledged.push({ op, messageId, status: answer.status, requestId: requestIdOf(answer.json) });
      }
      await sleep(5);
    }
  };
  const workers = Array.from({ length: 6 }, () => worker());

  for (let kill = 0; kill < options.kills; kill += 1) {
    await sleep(500 + Math.floor(random() * 1500));
    url = undefined;
    await service.stop('SIGKILL');
    output += service.output();
    service = await startServiceProcess(env);
    url = service.url;
  }
  await sleep(500);
  loading = false;
  await Promise.all(workers);

  // What a careful client does with a send whose answer it never got: send it again with the
  // same idempotency key. It must be accepted, and name a message that exists.
  for (const body of unansweredSends) {
    const answer = await call('POST', '/v1/webhooks/send', body);
    if (answer === undefined || answer.status !== 202) throw new Error(`a repeated send was refused: ${JSON.stringify(answer)}`);
    acknowledged.push({ op: 'resend', messageId: (answer.json.data as { message_id: string }).message_id, status: answer.status, requestId: requestIdOf(answer.json) });
  }

  // Let the scheduler finish every message: with 1 s retries and 3 attempts that takes seconds.
  const eventsFile = join(dataDir, 'events.sqlite');
  const readLog = (): Promise<Map<string, LoggedEvent[]>> => (esdb === undefined ? Promise.resolve(readMessageStreams(eventsFile)) : readMessageStreamsFromEsdb(esdb.connectionString));
  let stuck: string[];
  const deadline = Date.now() + options.settleMs;
  for (;;) {
    const streams = await readLog();
    stuck = [...streams].filter(([, events]) => !['succeeded', 'failed_permanent'].includes(lifecycleStatus(events))).map(([id]) => id);
    if (stuck.length === 0 || Date.now() > deadline) break;
    await sleep(200);
  }
  await service.stop('SIGTERM');
  output += service.output();
  await receiver.close();

  // A fresh DATA_DIR holding a copy of the log: the rebuild starts from nothing but events.
  const rebuiltDir = mkdtempSync(join(tmpdir(), 'ledgerhook-crash-rebuild-'));
  for (const suffix of ['', '-wal']) {
    if (esdb === undefined && existsSync(`${eventsFile}${suffix}`)) copyFileSync(`${eventsFile}${suffix}`, join(rebuiltDir, `events.sqlite${suffix}`));
  }
  const rebuild = await runCli(['projections', 'rebuild', 'all'], { DATA_DIR: rebuiltDir, ...(esdb === undefined ? {} : { EVENTSTORE_CONNECTION_STRING: esdb.connectionString }) });

  return {
    seed: options.seed,
    kills: options.kills,
    requests,
    unanswered,
    resent: unansweredSends.length,
    acknowledged,
    statuses,
    seen: receiver.seen,
    dataDir,
    log: esdb?.connectionString ?? eventsFile,
    output,
    ms: Date.now() - started,
    stuck,
    streams: await readLog(),
    rebuiltDir,
    rebuildCode: rebuild.code,
    rebuildStderr: rebuild.stderr,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
