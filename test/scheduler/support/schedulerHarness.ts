import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleCommand } from '../../../src/commands/handle.js';
import { decodeEndpointEvent, endpointDecider, type EndpointCommand } from '../../../src/domain/endpoint/index.js';
import { decodeMessageEvent, messageDecider, type MessageCommand } from '../../../src/domain/message/index.js';
import { defaultRetryPolicy, type RetryPolicy } from '../../../src/domain/retryPolicy.js';
import { endpointStream, messageStream } from '../../../src/domain/streams.js';
import { createMemoryEventStore } from '../../../src/eventstore/memory/index.js';
import type { EventStore, RecordedEvent } from '../../../src/eventstore/port.js';
import { createProjectionRunner, openReadModels, type ProjectionRunner, type ReadModels } from '../../../src/projections/index.js';
import type { SchedulerLogger } from '../../../src/scheduler/attempt.js';
import { createDeliverer, type Deliverer } from '../../../src/scheduler/deliver.js';
import { createScheduler, type Scheduler, type SchedulerOptions } from '../../../src/scheduler/scheduler.js';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startHttpsReceiver, type HttpsReceiver } from '../../support/httpsReceiver.js';
import { testCertificate } from '../../support/testCertificate.js';

/**
 * A scheduler on a real event store, real projections and a real deliverer, under a clock the
 * test moves by hand. `node` bundles what one scheduler process holds; several may share a store.
 */
export const T0 = Date.parse('2026-11-28T00:00:00.000Z');
export const policy: RetryPolicy = defaultRetryPolicy;
const silent = { info() {}, warn() {}, error() {} };

export interface FakeClock {
  (): Date;
  advance(ms: number): void;
  set(ms: number): void;
  ms(): number;
}

export function fakeClock(start = T0): FakeClock {
  let now = start;
  const clock = (() => new Date(now)) as FakeClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  clock.ms = () => now;
  return clock;
}

export interface LogLine {
  level: string;
  obj: object;
  msg: string | undefined;
}

export function recordingLogger(): SchedulerLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface SchedulerNode {
  readModels: ReadModels;
  runner: ProjectionRunner;
  scheduler: Scheduler;
  deliverer: Deliverer;
  logger: ReturnType<typeof recordingLogger>;
  close(): Promise<void>;
}

export interface NodeOptions extends Partial<Omit<SchedulerOptions, 'store' | 'readModels' | 'runner' | 'deliverer' | 'logger'>> {
  timeoutMs?: number;
}

/** Read models + projection runner + deliverer + scheduler, sharing `store`. */
export function startNode(store: EventStore, clock: FakeClock, options: NodeOptions = {}): SchedulerNode {
  const dir = mkdtempSync(join(tmpdir(), 'ledgerhook-scheduler-'));
  const readModels = openReadModels(join(dir, 'read-models.sqlite'));
  const runner = createProjectionRunner({ store, db: readModels.db, logger: silent });
  runner.start();
  const deliverer = createDeliverer({ timeoutMs: options.timeoutMs ?? 5000, connectTimeoutMs: Math.min(5000, options.timeoutMs ?? 5000), allowPrivate: true, ca: testCertificate().cert });
  const logger = recordingLogger();
  const scheduler = createScheduler({
    store,
    readModels,
    runner,
    deliverer,
    policy,
    clock,
    logger,
    instanceId: options.instanceId ?? 'test-1',
    pollMs: options.pollMs ?? 50,
    leaseMs: options.leaseMs ?? 60_000,
    concurrency: options.concurrency ?? { global: 32, perEndpoint: 8 },
    shutdownGraceMs: options.shutdownGraceMs ?? 1000,
    ...(options.endpointTtlMs === undefined ? {} : { endpointTtlMs: options.endpointTtlMs }),
  });
  scheduler.start();
  return {
    readModels,
    runner,
    scheduler,
    deliverer,
    logger,
    async close() {
      await scheduler.stop();
      await runner.stop();
      deliverer.close();
      readModels.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const memoryStore = (): EventStore => createMemoryEventStore();

/** What every loop test starts from: one receiver per file, a fresh store and clock per test. */
export interface SchedulerWorld {
  readonly receiver: HttpsReceiver;
  readonly store: EventStore;
  readonly clock: FakeClock;
  /** Starts a node on the world's store (or `store`), closed after the test. */
  node(options?: NodeOptions, store?: EventStore): SchedulerNode;
  /** Closes `node` after the test. */
  track(node: SchedulerNode): SchedulerNode;
}

/** Registers the hooks that build and tear down a SchedulerWorld; call it at a file's top level. */
export function useSchedulerWorld(): SchedulerWorld {
  let receiver: HttpsReceiver | undefined;
  let store: EventStore | undefined;
  let clock: FakeClock | undefined;
  const nodes: SchedulerNode[] = [];
  const present = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the scheduler world has no ${what} outside a test`);
    return value;
  };
  beforeAll(async () => {
    receiver = await startHttpsReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });
  beforeEach(() => {
    store = memoryStore();
    clock = fakeClock();
    present(receiver, 'receiver').requests.length = 0;
    present(receiver, 'receiver').setDefault({ status: 200, body: '{"ok":true}' });
  });
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()));
    await store?.close();
  });
  const world: SchedulerWorld = {
    get receiver() {
      return present(receiver, 'receiver');
    },
    get store() {
      return present(store, 'store');
    },
    get clock() {
      return present(clock, 'clock');
    },
    node: (options = {}, on = world.store) => world.track(startNode(on, world.clock, options)),
    track: (node) => {
      nodes.push(node);
      return node;
    },
  };
  return world;
}

/**
 * The same store, with each stream read answered after a random 0-4 ms: two schedulers then
 * often read the same revision and race on the claim, as they would across processes.
 */
export function withReadJitter(store: EventStore): EventStore {
  return {
    ...store,
    append: (...args) => store.append(...args),
    readAll: (...args) => store.readAll(...args),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    headPosition: () => store.headPosition(),
    close: () => store.close(),
    readStream: async (...args) => {
      const events = await store.readStream(...args);
      await sleep(Math.floor(Math.random() * 5));
      return events;
    },
  };
}

const meta = { actor: 'test' };

export async function endpointCommand(store: EventStore, command: EndpointCommand): Promise<void> {
  await handleCommand({ store, stream: endpointStream(command.endpoint_id), decider: endpointDecider, decode: decodeEndpointEvent, command, metadata: meta });
}

export interface EndpointSetup {
  id?: string;
  url: string;
  headers?: Record<string, string>;
  rps?: number;
  burst?: number;
  secret?: string;
}

export async function createEndpoint(store: EventStore, clock: FakeClock, setup: EndpointSetup): Promise<string> {
  const id = setup.id ?? `ep_${randomUUID().slice(0, 8)}`;
  await endpointCommand(store, {
    type: 'CreateEndpoint', endpoint_id: id, project_id: 'proj_1', url: setup.url, description: '', headers: setup.headers ?? {},
    rate_limit_rps: setup.rps ?? 0, burst: setup.burst ?? 0,
    signing_key: { key_id: `sk_${id}`, secret: setup.secret ?? 'whsec_test_secret_one_0123456789', key_hint: '6789' }, now: clock().toISOString(),
  });
  return id;
}

export async function messageCommand(store: EventStore, messageId: string, command: MessageCommand): Promise<void> {
  await handleCommand({ store, stream: messageStream(messageId), decider: messageDecider(policy), decode: decodeMessageEvent, command, metadata: meta, retryOnConflict: true });
}

export async function send(store: EventStore, clock: FakeClock, endpointId: string, payload = '{"event":"invoice.paid","amount":1200}', headers: Record<string, string> = {}): Promise<string> {
  const id = randomUUID();
  await messageCommand(store, id, {
    type: 'SendMessage', message_id: id, project_id: 'proj_1', endpoint_id: endpointId, payload,
    payload_sha256: createHash('sha256').update(payload).digest('hex'), size_bytes: Buffer.byteLength(payload),
    content_type: 'application/json', headers, now: clock().toISOString(),
  });
  return id;
}

export const eventsOf = async (store: EventStore, messageId: string): Promise<RecordedEvent[]> => store.readStream(messageStream(messageId));
export const typesOf = async (store: EventStore, messageId: string): Promise<string[]> => (await eventsOf(store, messageId)).map((e) => e.type);

/** Polls `check` until it returns a value other than undefined/false. */
export async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until the message's stream ends with `type`; returns its events. */
export const untilLast = (store: EventStore, messageId: string, type: string, timeoutMs = 5000): Promise<RecordedEvent[]> =>
  until(async () => {
    const events = await eventsOf(store, messageId);
    return events.at(-1)?.type === type ? events : undefined;
  }, `${messageId} to end with ${type}`, timeoutMs);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** HMAC-SHA256 built by hand from SHA-256 (RFC 2104), independent of the code under test. */
export function hmacSha256Hex(key: string, message: string): string {
  let k = Buffer.from(key, 'utf8');
  if (k.length > 64) k = createHash('sha256').update(k).digest();
  k = Buffer.concat([k, Buffer.alloc(64 - k.length)]);
  const pad = (byte: number): Buffer => Buffer.from(k.map((b) => b ^ byte));
  const inner = createHash('sha256').update(pad(0x36)).update(message, 'utf8').digest();
  return createHash('sha256').update(pad(0x5c)).update(inner).digest('hex');
}
