import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createApp } from '../../src/api/app.js';
import type { ApiKeyLookup, AuthContext } from '../../src/api/auth/apiKeys.js';
import { createApiKeyAuthenticator } from '../../src/api/auth/authenticator.js';
import { createLogger } from '../../src/api/logger.js';
import { OpenApiRegistry } from '../../src/api/openapi.js';
import { createRoutes } from '../../src/api/routes/index.js';
import type { ReadModels } from '../../src/api/routes/readModels.js';
import { startWebServer, stopWebServer, type WebServer } from '../../src/api/server.js';
import { handleCommand } from '../../src/commands/handle.js';
import { hashApiKey } from '../../src/commands/hashApiKey.js';
import { createProject } from '../../src/commands/projects.js';
import {
  decodeMessageEvent,
  decodeProjectEvent,
  defaultRetryPolicy,
  messageDecider,
  messageStream,
  projectDecider,
  streamPrefix,
  type MessageCommand,
} from '../../src/domain/index.js';
import type { EventStore, RecordedEvent } from '../../src/eventstore/port.js';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.js';
import { createProjectionRunner, openReadModels, type ProjectionRunner, type ReadModels as AllReadModels } from '../../src/projections/index.js';

/**
 * The real API server in-process on port 0, on the embedded SQLite store in a temp dir,
 * with every resource route and the projections runner feeding the read models (auth and
 * the lists read them). Each request first waits until the read models hold everything
 * the log holds, so tests read their own writes. ProjectStreamLookup is a read-model-free
 * auth lookup for tests that want one.
 */
export class ProjectStreamLookup implements ApiKeyLookup {
  constructor(private readonly store: EventStore) {}
  async findByHash(hash: string): Promise<AuthContext | null> {
    const recorded = await this.store.readAll({ prefixes: [streamPrefix.project], maxCount: 100_000 });
    const byStream = new Map<string, RecordedEvent[]>();
    for (const r of recorded) byStream.set(r.stream, [...(byStream.get(r.stream) ?? []), r]);
    for (const events of byStream.values()) {
      const state = events.map((r) => decodeProjectEvent(r)).reduce(projectDecider.evolve, projectDecider.initialState());
      const key = state.api_keys.find((k) => k.key_sha256 === hash);
      if (key !== undefined) return { project_id: state.project_id, key_id: key.key_id };
    }
    return null;
  }
}

export interface Tenant {
  readonly project_id: string;
  readonly key: string;
  readonly key_id: string;
  readonly auth: { authorization: string };
}

export interface RoutesHarness {
  readonly web: WebServer;
  readonly url: string;
  readonly store: EventStore;
  readonly readModels: AllReadModels;
  readonly runner: ProjectionRunner;
  readonly a: Tenant;
  readonly b: Tenant;
  /** Fixed clock the routes read; tests may move it. */
  now: Date;
  request(method: string, path: string, options?: { body?: unknown; raw?: string; headers?: Record<string, string>; tenant?: Tenant | null }): Promise<ApiResponse>;
  events(stream: string): Promise<RecordedEvent[]>;
  /** Runs a message command straight on the store, as the scheduler would. */
  message(id: string, command: MessageCommand): Promise<void>;
  close(): Promise<void>;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> & { data?: unknown; error?: { code: string; message: string; details?: unknown }; meta?: Record<string, unknown>; message?: string };
  readonly text: string;
}

async function tenant(store: EventStore, name: string, now: Date): Promise<Tenant> {
  const project = await createProject(store, { name, now: now.toISOString(), actor: 'ops:test' });
  return { project_id: project.project_id, key: project.api_key.key, key_id: project.api_key.key_id, auth: { authorization: `Bearer ${project.api_key.key}` } };
}

export async function startRoutesHarness(
  options: { allowPrivateEndpoints?: boolean; withoutReadModels?: boolean; logTo?: NodeJS.WritableStream } = {},
): Promise<RoutesHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'ledgerhook-routes-'));
  const store = openSqliteEventStore({ file: join(dir, 'events.sqlite'), synchronous: 'NORMAL' });
  const readModels = openReadModels(join(dir, 'read-models.sqlite'));
  const silent = createLogger({ level: 'silent' });
  const logger = options.logTo === undefined ? silent : createLogger({ level: 'debug', destination: options.logTo });
  const runner = createProjectionRunner({ store, db: readModels.db, logger: silent });
  runner.start();
  const settle = async (): Promise<void> => {
    const head = await store.headPosition();
    if (head !== 'start' && !(await runner.waitForPosition(head, 10_000))) throw new Error('read models did not catch up');
  };
  const openapi = new OpenApiRegistry();
  const authenticate = createApiKeyAuthenticator({ lookup: readModels.apiKeys, failedAuth: { maxFailures: 100_000 } });
  const state = { now: new Date('2026-01-15T10:00:00.000Z') };
  const app = createApp({
    logger,
    authenticate,
    readiness: async () => ({ ready: true }),
    routes: createRoutes({
      store,
      openapi,
      policy: defaultRetryPolicy,
      authenticator: authenticate,
      awaitReadModels: (position, timeoutMs) => runner.waitForPosition(position, timeoutMs),
      clock: () => state.now,
      ...(options.allowPrivateEndpoints === undefined ? {} : { allowPrivateEndpoints: options.allowPrivateEndpoints }),
      ...(options.withoutReadModels === true ? {} : { readModels: readModels as ReadModels }),
    }),
    registry: new Registry(),
    openapi,
  });
  const web = await startWebServer(app, { port: 0, host: '127.0.0.1' });
  const a = await tenant(store, 'tenant a', state.now);
  const b = await tenant(store, 'tenant b', state.now);
  const harness: RoutesHarness = {
    web,
    url: web.url,
    store,
    readModels,
    runner,
    a,
    b,
    get now() {
      return state.now;
    },
    set now(value: Date) {
      state.now = value;
    },
    async request(method, path, opts = {}) {
      await settle();
      const who = opts.tenant === undefined ? a : opts.tenant;
      const headers: Record<string, string> = { ...(who === null ? {} : who.auth), ...opts.headers };
      let body: string | undefined = opts.raw;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${web.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      let parsed: ApiResponse['body'];
      try {
        parsed = JSON.parse(text) as ApiResponse['body'];
      } catch {
        parsed = {};
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
    events: (stream) => store.readStream(stream),
    async message(id, command) {
      await handleCommand({ store, stream: messageStream(id), decider: messageDecider(defaultRetryPolicy), decode: decodeMessageEvent, command, metadata: { actor: 'scheduler:test' } });
    },
    async close() {
      await stopWebServer(web, 100);
      await runner.stop();
      readModels.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

export const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;
export const keyHash = hashApiKey;

/** Creates an endpoint straight on the store (for tests that are not about endpoints). */
export async function seedEndpoint(h: RoutesHarness, who: Tenant, url = 'https://receiver.example.com/hook'): Promise<string> {
  const { endpointDecider, endpointStream, decodeEndpointEvent } = await import('../../src/domain/index.js');
  const { newEndpointId, newSigningKeyId, newSigningSecret } = await import('../../src/commands/ids.js');
  const endpoint_id = newEndpointId();
  await handleCommand({
    store: h.store,
    stream: endpointStream(endpoint_id),
    decider: endpointDecider,
    decode: decodeEndpointEvent,
    command: {
      type: 'CreateEndpoint',
      endpoint_id,
      project_id: who.project_id,
      url,
      description: '',
      headers: {},
      rate_limit_rps: 0,
      burst: 0,
      signing_key: { key_id: newSigningKeyId(), secret: newSigningSecret(), key_hint: 'abcd' },
      now: h.now.toISOString(),
    },
    metadata: { actor: 'ops:test' },
  });
  return endpoint_id;
}

/** Sends through the API and fails the first attempt with a 500: the message is pending_retry. */
export async function pendingRetryMessage(h: RoutesHarness, endpoint_id: string, who?: Tenant): Promise<string> {
  const sent = await h.request('POST', '/v1/webhooks/send', { body: { endpoint_id, payload: { n: 1 } }, ...(who ? { tenant: who } : {}) });
  if (sent.status !== 202) throw new Error(`send failed: ${sent.text}`);
  const id = (sent.body.data as { message_id: string }).message_id;
  const now = h.now.toISOString();
  const lease = new Date(h.now.getTime() + 60_000).toISOString();
  await h.message(id, { type: 'StartAttempt', attempt_id: 'att-1', lease_until: lease, now });
  await h.message(id, { type: 'RecordAttemptFailed', attempt_id: 'att-1', outcome: { status: 500 }, latency_ms: 12, error_text: 'HTTP 500', now });
  return id;
}
