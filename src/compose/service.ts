import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import {
  OpenApiRegistry,
  createApiKeyAuthenticator,
  createApp,
  flushLogger,
  startWebServer,
  stopWebServer,
  type Readiness,
  type WebServer,
} from '../api/index.js';
import { createRoutes } from '../api/routes/index.js';
import { bootstrapDefaultProject } from '../commands/projects.js';
import { ConfigError, type Config } from '../config.js';
import { parseRetryPolicy, type RetryPolicy } from '../domain/index.js';
import type { EventStore } from '../eventstore/port.js';
import { createProjectionRunner, openReadModels, type ProjectionRunner, type ReadModels } from '../projections/index.js';
import { createDeliverer } from '../scheduler/deliver.js';
import { createScheduler, type Scheduler } from '../scheduler/scheduler.js';
import { openEventStore, readModelFile } from './openStore.js';

/**
 * The service as one object: what `npm start` runs and what end-to-end tests start in
 * process. Every process keeps its own read models (they are local and rebuildable), so
 * each role runs the projection runner; ROLE decides whether the API listens and whether
 * the scheduler claims.
 */
export interface RunningService {
  readonly store: EventStore;
  readonly readModels: ReadModels;
  readonly runner: ProjectionRunner;
  /** Set when the api role runs. */
  readonly web?: WebServer;
  /** Set when the scheduler role runs. */
  readonly scheduler?: Scheduler;
  /** Stops claiming and serving, waits for in-flight work within SHUTDOWN_GRACE_MS. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  readonly logger: Logger;
  /** Shown once when start-up mints the default project's key. */
  readonly announce?: (line: string) => void;
}

export function retryPolicyFrom(config: Config): RetryPolicy {
  try {
    return parseRetryPolicy({
      fast: config.RETRY_SCHEDULE_FAST,
      slow: config.RETRY_SCHEDULE_SLOW,
      maxAttempts: config.MAX_ATTEMPTS,
      retryAfterCapSeconds: config.RETRY_AFTER_CAP_SECONDS,
    });
  } catch (error) {
    throw new ConfigError(`Invalid retry policy (RETRY_SCHEDULE_FAST, RETRY_SCHEDULE_SLOW, MAX_ATTEMPTS, RETRY_AFTER_CAP_SECONDS): ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function startService(config: Config, options: ServiceOptions): Promise<RunningService> {
  const { logger } = options;
  const policy = retryPolicyFrom(config);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const store = openEventStore(config);
  const readModels = openReadModels(readModelFile(config.DATA_DIR));
  const runner = createProjectionRunner({ store, db: readModels.db, logger: logger.child({ component: 'projections' }), registry });

  const roles = new Set(config.ROLE);
  if (roles.has('api')) {
    const bootstrap = await bootstrapDefaultProject(store, { now: new Date().toISOString(), ...(config.BOOTSTRAP_API_KEY === undefined ? {} : { key: config.BOOTSTRAP_API_KEY }) });
    if (bootstrap.kind === 'created' && config.BOOTSTRAP_API_KEY === undefined) {
      options.announce?.(`Created the default project ${bootstrap.project.project_id}. Its API key, shown only now: ${bootstrap.project.api_key.key}`);
    } else if (bootstrap.kind !== 'unchanged') {
      logger.info({ project_id: 'proj_default' }, 'BOOTSTRAP_API_KEY registered for the default project');
    }
  }
  runner.start();

  let web: WebServer | undefined;
  if (roles.has('api')) {
    const openapi = new OpenApiRegistry();
    const authenticator = createApiKeyAuthenticator({ lookup: readModels.apiKeys });
    const readiness = async (): Promise<Readiness> => {
      const reasons: string[] = [];
      try {
        await withTimeout(store.headPosition(), config.STORE_TIMEOUT_MS);
      } catch {
        reasons.push('event store unreachable');
      }
      const broken = store.brokenBecause?.();
      if (broken !== undefined) reasons.push(`event store: ${broken}`);
      if (!runner.isCaughtUp()) reasons.push('read models catching up');
      return reasons.length === 0 ? { ready: true } : { ready: false, reasons };
    };
    const routes = createRoutes({
      store,
      openapi,
      policy,
      authenticator,
      allowPrivateEndpoints: config.ALLOW_PRIVATE_ENDPOINTS,
      readModels,
      awaitReadModels: (position, timeoutMs) => runner.waitForPosition(position, timeoutMs),
    });
    const app = createApp({ logger, authenticate: authenticator, readiness, routes, registry, openapi, requestDeadlineMs: config.STORE_TIMEOUT_MS });
    web = await startWebServer(app, { port: config.PORT, host: config.HOST });
    logger.info({ url: web.url, roles: [...roles], store: config.EVENTSTORE_CONNECTION_STRING === undefined ? 'sqlite' : 'eventstoredb' }, 'ledgerhook listening');
  }

  let scheduler: Scheduler | undefined;
  let closeDeliverer = (): void => {};
  if (roles.has('scheduler')) {
    const deliverer = createDeliverer({
      timeoutMs: config.DELIVERY_TIMEOUT_MS,
      connectTimeoutMs: config.DELIVERY_CONNECT_TIMEOUT_MS,
      allowPrivate: config.ALLOW_PRIVATE_ENDPOINTS,
    });
    closeDeliverer = () => deliverer.close();
    const instanceId = `${hostname()}-${process.pid}`;
    scheduler = createScheduler({
      store,
      readModels,
      runner,
      deliverer,
      policy,
      logger: logger.child({ component: 'scheduler' }),
      instanceId,
      pollMs: config.SCHEDULER_POLL_MS,
      leaseMs: config.LEASE_MS,
      concurrency: { global: config.DELIVERY_CONCURRENCY, perEndpoint: config.ENDPOINT_CONCURRENCY },
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    });
    scheduler.start();
    logger.info({ instanceId, pollMs: config.SCHEDULER_POLL_MS, allowPrivateEndpoints: config.ALLOW_PRIVATE_ENDPOINTS }, 'scheduler started');
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Stop taking requests and claims first; then the runner and the store they use;
      // the log last, so every line the others wrote while stopping is out before exit.
      try {
        await Promise.all([web ? stopWebServer(web, config.SHUTDOWN_GRACE_MS) : undefined, scheduler?.stop()]);
        closeDeliverer();
        await runner.stop();
        readModels.close();
        await store.close();
      } finally {
        await flushLogger(logger);
      }
    })());
  return { store, readModels, runner, ...(web === undefined ? {} : { web }), ...(scheduler === undefined ? {} : { scheduler }), stop };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
