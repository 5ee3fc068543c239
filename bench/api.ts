/**
 * API bench: our two hot routes against two baselines measured in the same run.
 *
 *   npm run bench:api                 # 2 rounds x 10 s per case, 50 connections
 *   npm run bench:api -- --short      # 1 round x 3 s per case, fewer seeded messages
 *   npm run bench:api -- --profile    # also CPU-profile the service under (c) and (d), round 1
 *   npm run bench:api -- --cases=a,c  # a subset (a: koa, b: naive, c: retry-now, d: send, e, f: floors)
 *   npm run bench:api -- --messages=N # seed N pending_retry messages for (c)
 *
 * (a) bare Koa + @koa/router answering a small JSON: the framework ceiling;
 * (b) a naive event-sourced route (read stream, fold, append in its own FULL transaction);
 * (c) POST /v1/messages/{id}/retry-now on the service (embedded store, FULL, API-key auth,
 *     request logging on at info, scheduler off), each request a different seeded
 *     pending_retry message; afterwards RetryExpedited events must match the 200s;
 * (d) POST /v1/webhooks/send with a 1 KB payload to an endpoint created through the API;
 * (e) the store floor: a bare Koa route that reads the stream and appends one event through
 *     the same adapter (FULL), nothing else: what (c) would cost with auth, logging,
 *     validation, the domain and the read models all free. c/a cannot exceed e/a;
 * (f) the send floor: a bare Koa route that parses the same 1 KB body and appends one event
 *     to a new stream through the adapter, nothing else. d/a cannot exceed f/a.
 * All servers run at once, each its own process pinned to core 0; this process
 * (autocannon) is pinned to core 1. The cases run interleaved, a b c d, round after round,
 * so each ratio compares figures taken minutes apart at most: on a shared machine the
 * ceiling alone has been seen to swing 10x within one run. Ratios are per round and
 * overall (2xx answers over seconds measured, summed over rounds).
 * Targets (issue 8, not asserted): c/b >= 4, c/a >= 0.3 with p99 <= 25 ms, d/a >= 0.25.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTaskset, pinSelf, startServer, type ServerChild } from './support/child.js';
import { formatInclusive, formatTop } from './support/cpuProfile.js';
import { runLoad, type LoadFigures, type LoadOptions } from './support/load.js';
import { processCpuUs } from './support/processCpu.js';
import { countEvents, seedPendingRetries } from './support/seedMessages.js';

const args = process.argv.slice(2);
const short = args.includes('--short');
const profile = args.includes('--profile');
const cases = new Set((args.find((a) => a.startsWith('--cases='))?.slice('--cases='.length) ?? 'a,b,c,d,e,f').split(','));
const SECONDS = short ? 3 : 10;
const ROUNDS = short ? 1 : 2;
const WARMUP_SECONDS = 1;
const CONNECTIONS = 50;
/** Distinct pending_retry messages: enough that no run of (c) ever repeats one (the output says if they ran out). */
const MESSAGES = Number(args.find((a) => a.startsWith('--messages='))?.slice('--messages='.length) ?? (short ? 20_000 : 60_000));
const NAIVE_STREAMS = short ? 20_000 : 60_000;
const API_KEY = 'hb_live_benchBenchBenchBenchBenchBench01';
const PROJECT_ID = 'proj_default';

const dir = mkdtempSync(join(tmpdir(), 'ledgerhook-bench-api-'));
const line = (text = ''): void => void process.stdout.write(`${text}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type CaseName = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';
const LABELS: Record<CaseName, string> = {
  a: '(a) koa + router, small JSON',
  b: '(b) naive event-sourced route',
  c: '(c) retry-now (service, FULL)',
  d: '(d) send, 1 KB payload (service)',
  e: '(e) floor: read + append, bare Koa',
  f: '(f) floor: 1 KB append, bare Koa',
};

/** One case ready to be loaded: its request shape, and (c, d) the server to profile. */
interface Target {
  readonly name: CaseName;
  readonly load: Omit<LoadOptions, 'seconds' | 'connections'>;
  readonly server: ServerChild;
  /** Every run against it, warm-up included, for the event count check. */
  readonly runs: LoadFigures[];
  /** Measured runs, one per round. */
  readonly rounds: LoadFigures[];
  /** The server's CPU over each measured run, in microseconds (undefined without /proc). */
  readonly cpuUs: (number | undefined)[];
}

/** The server's CPU per answered request: what the code costs, steadier than req/s on a shared machine. */
function cpuPerRequest(cpuUs: number | undefined, f: LoadFigures): string {
  const answered = f.ok + f.non2xx;
  return cpuUs === undefined || answered === 0 ? '' : `  cpu ${Math.round(cpuUs / answered)} us/req`;
}

function describe(label: string, f: LoadFigures, cpuUs?: number): string {
  const bad = f.non2xx + f.errors + f.timeouts;
  const codes = Object.entries(f.statusCodes).map(([c, n]) => `${c}:${n}`).join(' ');
  return `${label.padEnd(34)} ${f.rps.toFixed(0).padStart(7)} req/s  p50 ${String(f.p50).padStart(4)} ms  p99 ${String(f.p99).padStart(4)} ms  ok ${f.ok}  non-2xx ${f.non2xx}  errors ${f.errors}  timeouts ${f.timeouts}${cpuPerRequest(cpuUs, f)}${bad > 0 ? `  [${codes}]` : ''}${f.exhausted ? '  (ids ran out: seed more with --messages=N)' : ''}`;
}

/** All rounds of one case as one figure: 2xx over seconds, mean p50, worst p99. */
function overall(rounds: readonly LoadFigures[]): LoadFigures {
  const sum = (pick: (f: LoadFigures) => number): number => rounds.reduce((n, f) => n + pick(f), 0);
  const seconds = sum((f) => f.seconds);
  return {
    rps: seconds === 0 ? 0 : sum((f) => f.ok) / seconds,
    p50: Math.round(sum((f) => f.p50) / Math.max(1, rounds.length)),
    p99: Math.max(0, ...rounds.map((f) => f.p99)),
    ok: sum((f) => f.ok),
    non2xx: sum((f) => f.non2xx),
    errors: sum((f) => f.errors),
    timeouts: sum((f) => f.timeouts),
    seconds,
    statusCodes: rounds.reduce<Record<string, number>>((all, f) => {
      for (const [code, n] of Object.entries(f.statusCodes)) all[code] = (all[code] ?? 0) + n;
      return all;
    }, {}),
    exhausted: rounds.some((f) => f.exhausted),
    cutOff: sum((f) => f.cutOff),
  };
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
  return `${written} ${type} events for ${ok} 2xx answers + ${cutOff} requests cut off in flight at the end of a run (warm-ups included)${fine ? ': consistent' : '  MISMATCH'}`;
}

function walk(ids: readonly string[], path: (id: string) => string): () => string | null {
  let next = 0;
  return () => {
    const id = ids[next];
    next += 1;
    return id === undefined ? null : path(id);
  };
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

/** A send request whose payload object serialises to exactly 1024 bytes. */
function sendBody(endpointId: string): string {
  const payload: Record<string, unknown> = { event: 'invoice.paid', id: 'inv_0001', amount: 4200, currency: 'EUR', note: '' };
  payload.note = 'x'.repeat(1024 - JSON.stringify(payload).length);
  return JSON.stringify({ endpoint_id: endpointId, payload });
}

/** SIGUSR2 starts the service's profiler; the next one writes the profile (bench/support/serviceServer.ts). */
async function toggleProfile(server: ServerChild, file: string, waitForFile: boolean): Promise<void> {
  server.process.kill('SIGUSR2');
  if (!waitForFile) return;
  for (let i = 0; i < 100 && !existsSync(file); i += 1) await sleep(100);
}

/** Moves the profile the server just wrote to bench/.profiles/ (git-ignored: *.cpuprofile) so it outlives the temp dir. */
function keepProfile(from: string, name: string): string {
  const keptDir = join(process.cwd(), 'bench', '.profiles');
  mkdirSync(keptDir, { recursive: true });
  const kept = join(keptDir, `${name}.cpuprofile`);
  copyFileSync(from, kept);
  rmSync(from);
  return kept;
}

const ratio = (x: LoadFigures | undefined, y: LoadFigures | undefined): string => (x === undefined || y === undefined || y.rps === 0 ? 'n/a' : `${(x.rps / y.rps).toFixed(2)}x`);

function ratios(f: Partial<Record<CaseName, LoadFigures>>): string {
  return `c/a ${ratio(f.c, f.a)} (target >= 0.3)   c/b ${ratio(f.c, f.b)} (target >= 4)   d/a ${ratio(f.d, f.a)} (target >= 0.25)   retry-now p99 ${f.c?.p99 ?? 'n/a'} ms (target <= 25)`
    + (f.e === undefined ? '' : `\n  floor: e/a ${ratio(f.e, f.a)} (the most c/a could reach)   e/b ${ratio(f.e, f.b)} (the most c/b could reach)   c/e ${ratio(f.c, f.e)} (the service's share of the floor)   floor p99 ${f.e.p99} ms`)
    + (f.f === undefined ? '' : `\n  send floor: f/a ${ratio(f.f, f.a)} (the most d/a could reach)   d/f ${ratio(f.d, f.f)}   send floor p99 ${f.f.p99} ms`);
}

async function main(): Promise<void> {
  const pinned = pinSelf(1);
  line(`ledgerhook API bench: ${ROUNDS} round(s) x ${SECONDS} s per case (+${WARMUP_SECONDS} s warm-up), ${CONNECTIONS} connections, node ${process.version}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  line(hasTaskset ? `taskset: servers on core 0, load generator on core 1${pinned ? '' : ' (pinning this process failed)'}` : 'taskset missing: servers and load generator share the cores (figures are lower and noisier)');
  const servers: ServerChild[] = [];
  const targets: Target[] = [];
  const checks: string[] = [];
  const profiles: string[] = [];
  const serviceDir = join(dir, 'service');
  const eventsFile = join(serviceDir, 'events.sqlite');
  const naiveFile = join(dir, 'naive.sqlite');
  const floorFile = join(dir, 'floor.sqlite');
  const logFile = join(dir, 'service.log');
  const currentProfile = join(dir, 'current.cpuprofile');
  let expeditedBefore = 0;
  let queuedBefore = 0;
  try {
    // The service first: its start-up folds the seeded log into the read models, which
    // would otherwise load the core the other servers share.
    if (cases.has('c') || cases.has('d')) {
      let ids: string[] = [];
      if (cases.has('c')) {
        const started = Date.now();
        ids = await seedPendingRetries(eventsFile, PROJECT_ID, MESSAGES);
        line(`seeded ${ids.length} pending_retry messages (${ids.length * 4} events) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
      const readyStarted = Date.now();
      const service = await startServer({
        script: 'bench/support/serviceServer.ts',
        env: {
          DATA_DIR: serviceDir,
          HOST: '127.0.0.1',
          SQLITE_SYNCHRONOUS: 'FULL',
          BOOTSTRAP_API_KEY: API_KEY,
          LOG_LEVEL: 'info',
          // The scheduler is off: the api role only (the projection runner runs in every role).
          ROLE: 'api',
          ...(profile ? { BENCH_CPU_PROFILE: currentProfile } : {}),
        },
        stdoutFile: logFile,
        // Ready once the read models caught up with the seeded log (auth reads the api-keys model).
        ready: async (url) => (await fetch(`${url}/ready`)).status === 200,
        timeoutMs: 600_000,
      });
      servers.push(service);
      line(`service ready (read models caught up) in ${((Date.now() - readyStarted) / 1000).toFixed(1)} s`);
      expeditedBefore = countEvents(eventsFile, 'RetryExpedited');
      queuedBefore = countEvents(eventsFile, 'MessageQueued');
      const auth = { authorization: `Bearer ${API_KEY}` };
      if (cases.has('c')) {
        const nextPath = walk(ids, (id) => `/v1/messages/${id}/retry-now`);
        targets.push({ name: 'c', server: service, runs: [], rounds: [], cpuUs: [], load: { url: service.url, method: 'POST', headers: auth, nextPath } });
      }
      if (cases.has('d')) {
        const body = sendBody(await createEndpoint(service.url, auth));
        targets.push({ name: 'd', server: service, runs: [], rounds: [], cpuUs: [], load: { url: service.url, method: 'POST', headers: auth, body, nextPath: () => '/v1/webhooks/send' } });
      }
    }
    if (cases.has('a')) {
      const koa = await startServer({ script: 'bench/support/koaServer.ts', env: {} });
      servers.push(koa);
      let n = 0;
      targets.push({ name: 'a', server: koa, runs: [], rounds: [], cpuUs: [], load: { url: koa.url, method: 'POST', nextPath: () => `/v1/ping/${(n += 1)}` } });
    }
    if (cases.has('e') || cases.has('f')) {
      // The floor answers about twice as fast as (c): three times the messages, so it never runs out.
      const ids = cases.has('e') ? await seedPendingRetries(floorFile, PROJECT_ID, MESSAGES * 3) : [];
      const floor = await startServer({ script: 'bench/support/floorServer.ts', env: { FLOOR_FILE: floorFile } });
      servers.push(floor);
      if (cases.has('e')) targets.push({ name: 'e', server: floor, runs: [], rounds: [], cpuUs: [], load: { url: floor.url, method: 'POST', nextPath: walk(ids, (id) => `/v1/floor/${id}/retry-now`) } });
      if (cases.has('f')) targets.push({ name: 'f', server: floor, runs: [], rounds: [], cpuUs: [], load: { url: floor.url, method: 'POST', body: sendBody('ep_floor'), nextPath: () => '/v1/floor/send' } });
    }
    if (cases.has('b')) {
      const naive = await startServer({ script: 'bench/support/naiveServer.ts', env: { NAIVE_FILE: naiveFile, NAIVE_STREAMS: String(NAIVE_STREAMS) }, timeoutMs: 180_000 });
      servers.push(naive);
      const ids = Array.from({ length: NAIVE_STREAMS }, (_, i) => String(i));
      targets.push({ name: 'b', server: naive, runs: [], rounds: [], cpuUs: [], load: { url: naive.url, method: 'POST', nextPath: walk(ids, (id) => `/v1/naive/${id}/retry-now`) } });
    }
    targets.sort((x, y) => x.name.localeCompare(y.name));

    for (const target of targets) target.runs.push(await runLoad({ ...target.load, seconds: WARMUP_SECONDS, connections: CONNECTIONS }));
    for (let round = 1; round <= ROUNDS; round += 1) {
      if (ROUNDS > 1) line(`round ${round} (load ${loadavg()[0]?.toFixed(1)})`);
      const figures: Partial<Record<CaseName, LoadFigures>> = {};
      for (const target of targets) {
        const profiling = profile && round === 1 && (target.name === 'c' || target.name === 'd');
        if (profiling) await toggleProfile(target.server, currentProfile, false);
        const cpuBefore = processCpuUs(target.server.process.pid);
        const run = await runLoad({ ...target.load, seconds: SECONDS, connections: CONNECTIONS });
        const cpuAfter = processCpuUs(target.server.process.pid);
        const cpuUs = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
        target.cpuUs.push(cpuUs);
        if (profiling) {
          await toggleProfile(target.server, currentProfile, true);
          if (existsSync(currentProfile)) profiles.push(keepProfile(currentProfile, target.name === 'c' ? 'retry-now' : 'send'));
        }
        target.runs.push(run);
        target.rounds.push(run);
        figures[target.name] = run;
        line(`  ${describe(LABELS[target.name], run, cpuUs)}`);
      }
      if (ROUNDS > 1) line(`  ratios: ${ratios(figures)}`);
    }
  } finally {
    for (const server of servers.splice(0)) {
      const code = await server.stop();
      if (code !== 0) checks.push(`a server exited with ${String(code)}`);
    }
  }

  const total: Partial<Record<CaseName, LoadFigures>> = {};
  line();
  line(ROUNDS > 1 ? `overall (${ROUNDS} rounds; p50 is the mean of the rounds, p99 the worst):` : 'overall:');
  for (const target of targets) {
    total[target.name] = overall(target.rounds);
    const cpuUs = target.cpuUs.some((c) => c === undefined) ? undefined : target.cpuUs.reduce<number>((sum, c) => sum + (c ?? 0), 0);
    line(`  ${describe(LABELS[target.name], total[target.name] as LoadFigures, cpuUs)}`);
  }
  line(`ratios: ${ratios(total)}`);
  const runsOf = (name: CaseName): LoadFigures[] => targets.find((t) => t.name === name)?.runs ?? [];
  if (cases.has('b')) checks.push(`naive: ${accounted(countEvents(naiveFile, 'Expedited'), 'Expedited', runsOf('b'))}`);
  if (cases.has('c')) checks.push(`retry-now: ${accounted(countEvents(eventsFile, 'RetryExpedited') - expeditedBefore, 'RetryExpedited', runsOf('c'))}`);
  if (cases.has('e')) checks.push(`floor: ${accounted(countEvents(floorFile, 'RetryExpedited'), 'RetryExpedited', runsOf('e'))}`);
  if (cases.has('f')) checks.push(`send floor: ${accounted(countEvents(floorFile, 'MessageQueued') - (cases.has('e') ? MESSAGES * 3 : 0), 'MessageQueued', runsOf('f'))}`);
  if (cases.has('d')) checks.push(`send: ${accounted(countEvents(eventsFile, 'MessageQueued') - queuedBefore, 'MessageQueued', runsOf('d'))}`);
  if (existsSync(logFile)) {
    const logLines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"msg":"request"')).length;
    checks.push(`request log: ${logLines} access lines written at info`);
  }
  for (const check of checks) line(`check: ${check}`);
  const bad = targets.filter((t) => t.rounds.some((f) => f.non2xx + f.errors + f.timeouts > 0));
  if (bad.length > 0) line(`WARNING: ${bad.map((t) => LABELS[t.name]).join(', ')} had non-2xx answers, errors or timeouts (see above)`);
  for (const file of profiles) {
    line();
    line(`profile ${file} (round 1)`);
    line(formatTop(file, 20));
    line(formatInclusive(file, 20));
  }
  if (checks.some((c) => c.includes('MISMATCH'))) process.exitCode = 1;
}

try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
