/**
 * API bench: our two hot routes against two baselines measured in the same run.
 *
 *   npm run bench:api                 # 10 s per case, 50 connections
 *   npm run bench:api -- --short      # 3 s per case, fewer seeded messages
 *   npm run bench:api -- --profile    # also CPU-profile the service under (c) and (d)
 *   npm run bench:api -- --cases=a,c  # a subset (a: koa, b: naive, c: retry-now, d: send)
 *
 * (a) bare Koa + @koa/router answering a small JSON: the framework ceiling;
 * (b) a naive event-sourced route (read stream, fold, append in its own FULL transaction);
 * (c) POST /v1/messages/{id}/retry-now on the service (embedded store, FULL, API-key auth,
 *     request logging on at info, scheduler off), each request a different seeded
 *     pending_retry message; afterwards RetryExpedited events must equal the 200s;
 * (d) POST /v1/webhooks/send with a 1 KB payload to an endpoint created through the API.
 * Each server is its own process pinned to core 0; this process (autocannon) to core 1.
 * The ceiling (a) runs first and again last; ratios use the mean and the drift is printed.
 * Targets (issue 8, not asserted): c/b >= 4, c/a >= 0.3 with p99 <= 25 ms, d/a >= 0.25.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTaskset, pinSelf, startServer, type ServerChild } from './support/child.js';
import { formatTop } from './support/cpuProfile.js';
import { runLoad, type LoadFigures } from './support/load.js';
import { countEvents, seedPendingRetries } from './support/seedMessages.js';

const args = process.argv.slice(2);
const short = args.includes('--short');
const profile = args.includes('--profile');
const cases = new Set((args.find((a) => a.startsWith('--cases='))?.slice('--cases='.length) ?? 'a,b,c,d').split(','));
const SECONDS = short ? 3 : 10;
const WARMUP_SECONDS = 1;
const CONNECTIONS = 50;
/** Distinct pending_retry messages: enough that no run of (c) ever repeats one. */
const MESSAGES = Number(args.find((a) => a.startsWith('--messages='))?.slice('--messages='.length) ?? (short ? 20_000 : 60_000));
const NAIVE_STREAMS = short ? 20_000 : 60_000;
const API_KEY = 'hb_live_benchBenchBenchBenchBenchBench01';
const PROJECT_ID = 'proj_default';

const dir = mkdtempSync(join(tmpdir(), 'ledgerhook-bench-api-'));
const line = (text = ''): void => void process.stdout.write(`${text}\n`);

interface CaseResult {
  readonly label: string;
  readonly figures: LoadFigures;
}

function describe(result: CaseResult): string {
  const f = result.figures;
  const bad = f.non2xx + f.errors + f.timeouts;
  const codes = Object.entries(f.statusCodes).map(([c, n]) => `${c}:${n}`).join(' ');
  return `${result.label.padEnd(34)} ${f.rps.toFixed(0).padStart(7)} req/s  p50 ${String(f.p50).padStart(4)} ms  p99 ${String(f.p99).padStart(4)} ms  ok ${f.ok}  non-2xx ${f.non2xx}  errors ${f.errors}  timeouts ${f.timeouts}${bad > 0 ? `  [${codes}]` : ''}${f.exhausted ? '  (ids ran out: seed more)' : ''}`;
}

/** A warm-up (JIT, connection pool, page cache) then the measured run, both walking the same id list. */
async function measure(label: string, options: Omit<Parameters<typeof runLoad>[0], 'seconds' | 'connections'>): Promise<{ result: CaseResult; runs: LoadFigures[] }> {
  const warm = await runLoad({ ...options, seconds: WARMUP_SECONDS, connections: CONNECTIONS });
  const figures = await runLoad({ ...options, seconds: SECONDS, connections: CONNECTIONS });
  const result = { label, figures };
  line(describe(result));
  return { result, runs: [warm, figures] };
}

/**
 * Every 2xx must have written its event, and nothing else may have: the events written
 * must lie between the 2xx answers counted and those plus the requests cut off in flight
 * when a run stopped (sent, carried out by the server, answer not awaited).
 */
function accounted(written: number, type: string, runs: readonly LoadFigures[]): string {
  const ok = runs.reduce((n, r) => n + r.ok, 0);
  const cutOff = runs.reduce((n, r) => n + r.cutOff, 0);
  const fine = written >= ok && written <= ok + cutOff;
  return `${written} ${type} events for ${ok} 2xx answers + ${cutOff} requests cut off in flight at the end of a run (warm-up included)${fine ? ': consistent' : '  MISMATCH'}`;
}

function walk(ids: readonly string[], path: (id: string) => string): () => string | null {
  let next = 0;
  return () => {
    const id = ids[next];
    next += 1;
    return id === undefined ? null : path(id);
  };
}

async function caseKoa(label = '(a) koa + router, small JSON'): Promise<CaseResult> {
  const server = await startServer({ script: 'bench/support/koaServer.ts', env: {} });
  try {
    let n = 0;
    return (await measure(label, { url: server.url, method: 'POST', nextPath: () => `/v1/ping/${(n += 1)}` })).result;
  } finally {
    await server.stop();
  }
}

async function caseNaive(): Promise<{ result: CaseResult; verified: string }> {
  const file = join(dir, 'naive.sqlite');
  const server = await startServer({ script: 'bench/support/naiveServer.ts', env: { NAIVE_FILE: file, NAIVE_STREAMS: String(NAIVE_STREAMS) }, timeoutMs: 120_000 });
  let measured: Awaited<ReturnType<typeof measure>>;
  try {
    const ids = Array.from({ length: NAIVE_STREAMS }, (_, i) => String(i));
    measured = await measure('(b) naive event-sourced route', { url: server.url, method: 'POST', nextPath: walk(ids, (id) => `/v1/naive/${id}/retry-now`) });
  } finally {
    await server.stop();
  }
  const written = countEvents(file, 'Expedited');
  return { result: measured.result, verified: `naive: ${accounted(written, 'Expedited', measured.runs)}` };
}

interface ServiceResults {
  retryNow?: CaseResult;
  send?: CaseResult;
  checks: string[];
  profiles: string[];
}

async function signalProfile(server: ServerChild, file: string | undefined, wait: boolean): Promise<void> {
  if (file === undefined) return;
  server.process.kill('SIGUSR2');
  if (!wait) return;
  for (let i = 0; i < 100 && !existsSync(file); i += 1) await new Promise((r) => setTimeout(r, 100));
}

async function caseService(): Promise<ServiceResults> {
  const dataDir = join(dir, 'service');
  const eventsFile = join(dataDir, 'events.sqlite');
  const logFile = join(dir, 'service.log');
  const out: ServiceResults = { checks: [], profiles: [] };
  let ids: string[] = [];
  if (cases.has('c')) {
    const started = Date.now();
    ids = await seedPendingRetries(eventsFile, PROJECT_ID, MESSAGES);
    line(`seeded ${ids.length} pending_retry messages (${ids.length * 4} events) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const current = profile ? join(dir, 'current.cpuprofile') : undefined;
  const readyStarted = Date.now();
  const server = await startServer({
    script: 'bench/support/serviceServer.ts',
    env: {
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      SQLITE_SYNCHRONOUS: 'FULL',
      BOOTSTRAP_API_KEY: API_KEY,
      LOG_LEVEL: 'info',
      ROLE: 'api',
      ...(current === undefined ? {} : { BENCH_CPU_PROFILE: current }),
    },
    stdoutFile: logFile,
    // Ready once the read models caught up with the seeded log (auth reads the api-keys model).
    ready: async (url) => (await fetch(`${url}/ready`)).status === 200,
    timeoutMs: 600_000,
  });
  line(`service ready (read models caught up) in ${((Date.now() - readyStarted) / 1000).toFixed(1)} s`);
  const auth = { authorization: `Bearer ${API_KEY}` };
  const expeditedBefore = countEvents(eventsFile, 'RetryExpedited');
  const queuedBefore = countEvents(eventsFile, 'MessageQueued');
  const retryRuns: LoadFigures[] = [];
  const sendRuns: LoadFigures[] = [];
  try {
    if (cases.has('c')) {
      const warm = await runLoad({ url: server.url, method: 'POST', headers: auth, seconds: WARMUP_SECONDS, connections: CONNECTIONS, nextPath: walkShared() });
      await signalProfile(server, current, false);
      const figures = await runLoad({ url: server.url, method: 'POST', headers: auth, seconds: SECONDS, connections: CONNECTIONS, nextPath: walkShared() });
      await signalProfile(server, current, true);
      if (current !== undefined && existsSync(current)) out.profiles.push(renameProfile(current, 'retry-now'));
      out.retryNow = { label: '(c) retry-now (service, FULL)', figures };
      line(describe(out.retryNow));
      retryRuns.push(warm, figures);
    }
    if (cases.has('d')) {
      const endpoint = await createEndpoint(server.url, auth);
      const body = sendBody(endpoint);
      const warm = await runLoad({ url: server.url, method: 'POST', headers: auth, body, seconds: WARMUP_SECONDS, connections: CONNECTIONS, nextPath: () => '/v1/webhooks/send' });
      await signalProfile(server, current, false);
      const figures = await runLoad({ url: server.url, method: 'POST', headers: auth, body, seconds: SECONDS, connections: CONNECTIONS, nextPath: () => '/v1/webhooks/send' });
      await signalProfile(server, current, true);
      if (current !== undefined && existsSync(current)) out.profiles.push(renameProfile(current, 'send'));
      out.send = { label: '(d) send, 1 KB payload (service)', figures };
      line(describe(out.send));
      sendRuns.push(warm, figures);
    }
  } finally {
    const code = await server.stop();
    if (code !== 0) out.checks.push(`service exited with ${String(code)}`);
  }
  if (cases.has('c')) {
    const written = countEvents(eventsFile, 'RetryExpedited') - expeditedBefore;
    out.checks.push(`retry-now: ${accounted(written, 'RetryExpedited', retryRuns)}`);
  }
  if (cases.has('d')) {
    const written = countEvents(eventsFile, 'MessageQueued') - queuedBefore;
    out.checks.push(`send: ${accounted(written, 'MessageQueued', sendRuns)}`);
  }
  const logLines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"msg":"request"')).length;
  out.checks.push(`request log: ${logLines} access lines written at info`);
  return out;

  function walkShared(): () => string | null {
    return sharedWalk ??= walk(ids, (id) => `/v1/messages/${id}/retry-now`);
  }
}
let sharedWalk: (() => string | null) | undefined;

/** Moves the profile the server just wrote to bench/.profiles/ (git-ignored) so it outlives the temp dir. */
function renameProfile(from: string, name: string): string {
  const keptDir = join(process.cwd(), 'bench', '.profiles');
  mkdirSync(keptDir, { recursive: true });
  const kept = join(keptDir, `${name}.cpuprofile`);
  copyFileSync(from, kept);
  rmSync(from);
  return kept;
}

async function createEndpoint(url: string, auth: Record<string, string>): Promise<string> {
  const response = await fetch(`${url}/v1/endpoints`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ url: 'https://example.com/hooks/bench', description: 'bench' }),
  });
  const body = (await response.json()) as { data?: { id?: string } };
  if (response.status !== 201 && response.status !== 200) throw new Error(`creating the endpoint answered ${response.status}: ${JSON.stringify(body)}`);
  const id = body.data?.id;
  if (id === undefined) throw new Error(`creating the endpoint returned no id: ${JSON.stringify(body)}`);
  return id;
}

/** A request of about 1 KB of payload JSON (the payload object alone serialises to 1024 bytes). */
function sendBody(endpointId: string): string {
  const payload: Record<string, unknown> = { event: 'invoice.paid', id: 'inv_0001', amount: 4200, currency: 'EUR', note: '' };
  const base = JSON.stringify(payload).length;
  payload.note = 'x'.repeat(1024 - base);
  return JSON.stringify({ endpoint_id: endpointId, payload });
}

const ratio = (x: CaseResult | undefined, y: CaseResult | undefined): string => (x === undefined || y === undefined || y.figures.rps === 0 ? 'n/a' : `${(x.figures.rps / y.figures.rps).toFixed(2)}x`);

/** The two ceiling runs as one (mean req/s); either alone when only one ran. */
function mean(x: CaseResult | undefined, y: CaseResult | undefined): CaseResult | undefined {
  if (x === undefined || y === undefined) return x ?? y;
  return { label: 'koa (mean)', figures: { ...x.figures, rps: (x.figures.rps + y.figures.rps) / 2 } };
}

async function main(): Promise<void> {
  const pinned = pinSelf(1);
  line(`ledgerhook API bench: ${SECONDS} s per case (+${WARMUP_SECONDS} s warm-up), ${CONNECTIONS} connections, node ${process.version}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  line(hasTaskset ? `taskset: servers on core 0, load generator on core 1${pinned ? '' : ' (pinning this process failed)'}` : 'taskset missing: server and load generator share the cores (figures are lower and noisier)');
  const results: { a?: CaseResult; a2?: CaseResult; b?: CaseResult; c?: CaseResult; d?: CaseResult } = {};
  const checks: string[] = [];
  const profiles: string[] = [];
  try {
    if (cases.has('a')) results.a = await caseKoa();
    if (cases.has('b')) {
      const naive = await caseNaive();
      results.b = naive.result;
      checks.push(naive.verified);
    }
    if (cases.has('c') || cases.has('d')) {
      const service = await caseService();
      results.c = service.retryNow;
      results.d = service.send;
      checks.push(...service.checks);
      profiles.push(...service.profiles);
    }
    // The ceiling again at the end: on a shared machine it drifts, and the drift says how
    // far the ratios can be trusted. Ratios use the mean of both.
    if (cases.has('a') && (cases.has('c') || cases.has('d'))) results.a2 = await caseKoa('(a) koa + router, again at the end');
  } finally {
    await new Promise((r) => setTimeout(r, 200));
    rmSync(dir, { recursive: true, force: true });
  }
  const ceiling = mean(results.a, results.a2);
  line();
  if (results.a !== undefined && results.a2 !== undefined) {
    line(`koa ceiling: ${results.a.figures.rps.toFixed(0)} then ${results.a2.figures.rps.toFixed(0)} req/s (drift ${((results.a2.figures.rps / results.a.figures.rps - 1) * 100).toFixed(0)}%); ratios below use the mean, ${ceiling?.figures.rps.toFixed(0)} req/s`);
  }
  line(`ratios: c/a ${ratio(results.c, ceiling)} (target >= 0.3)   c/b ${ratio(results.c, results.b)} (target >= 4)   d/a ${ratio(results.d, ceiling)} (target >= 0.25)   retry-now p99 ${results.c?.figures.p99 ?? 'n/a'} ms (target <= 25)`);
  for (const check of checks) line(`check: ${check}`);
  const bad = [results.a, results.a2, results.b, results.c, results.d].filter((r) => r !== undefined && r.figures.non2xx + r.figures.errors + r.figures.timeouts > 0);
  if (bad.length > 0) line(`WARNING: ${bad.map((r) => r?.label).join(', ')} had non-2xx answers or errors (see above)`);
  for (const file of profiles) {
    line();
    line(`profile ${file}`);
    line(formatTop(file, 25));
  }
  if (checks.some((c) => c.includes('MISMATCH'))) process.exitCode = 1;
}

await main();
