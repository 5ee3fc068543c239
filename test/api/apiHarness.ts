import { Writable } from 'node:stream';
import Router from '@koa/router';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createApp } from '../../src/api/app.js';
import type { ApiKeyLookup, AuthContext } from '../../src/api/auth/apiKeys.js';
import { hashApiKey } from '../../src/api/auth/apiKeys.js';
import { createApiKeyAuthenticator } from '../../src/api/auth/authenticator.js';
import type { FailedAuthLimitOptions } from '../../src/api/auth/failedAuthLimiter.js';
import { defineRoute } from '../../src/api/defineRoute.js';
import { PAYLOAD_LIMIT_BYTES } from '../../src/api/http/apiErrors.js';
import { respond } from '../../src/api/http/envelope.js';
import { createLogger } from '../../src/api/logger.js';
import { OpenApiRegistry, successEnvelope } from '../../src/api/openapi.js';
import { currentLogger, currentRequestId, requestScope } from '../../src/api/requestScope.js';
import type { Readiness } from '../../src/api/opsRoutes.js';
import type { WebServer } from '../../src/api/server.js';
import { startWebServer, stopWebServer } from '../../src/api/server.js';
import type { ApiState } from '../../src/api/state.js';
import { StoreUnavailableError } from '../../src/eventstore/errors.js';

export const API_KEY = 'hb_test_0123456789abcdef0123456789abcdef';
export const AUTH: AuthContext = { project_id: 'proj_test', key_id: 'key_test' };

/** A lookup over a map of key hashes that counts how often the store is asked. */
export class CountingLookup implements ApiKeyLookup {
  calls = 0;
  readonly keys = new Map<string, AuthContext>([[hashApiKey(API_KEY), AUTH]]);
  async findByHash(hash: string): Promise<AuthContext | null> {
    this.calls++;
    return this.keys.get(hash) ?? null;
  }
}

/** Every pino line the app wrote, parsed. */
export class LogCapture extends Writable {
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.raw.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get lines(): Record<string, unknown>[] {
    return this.raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

const thingBody = z.strictObject({
  name: z.string().min(1).max(20),
  endpoint_id: z.string().regex(/^ep_[a-f0-9]{32}$/, 'must be in format ep_xxx'),
  payload: z.record(z.string(), z.unknown()).optional(),
});

/** A tiny resource router standing in for the real ones. */
function testRouter(openapi: OpenApiRegistry, fallbackLogger: Logger): Router<ApiState> {
  const router = new Router<ApiState>();
  defineRoute(
    router,
    openapi,
    {
      method: 'get',
      path: '/v1/things/:id',
      summary: 'Get a thing',
      params: z.object({ id: z.guid({ message: 'must be a valid UUID' }) }),
      query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) }),
      responses: { 200: { description: 'The thing', schema: successEnvelope(z.object({ id: z.string(), limit: z.number() })) }, 404: { description: 'Not found' } },
    },
    (ctx, { params, query, auth }) => {
      respond(ctx, 200, { id: params.id, limit: query.limit, project_id: auth.project_id }, { meta: { has_more: false, next_cursor: null } });
    },
  );
  defineRoute(
    router,
    openapi,
    { method: 'post', path: '/v1/things', summary: 'Create a thing', body: thingBody, responses: { 201: { description: 'Created' } } },
    (ctx, { body, rawBody }) => {
      respond(ctx, 201, { name: body.name, raw_length: rawBody?.length, proto_is_object: Object.getPrototypeOf(body) === Object.prototype }, { message: 'Thing created' });
    },
  );
  defineRoute(
    router,
    openapi,
    { method: 'post', path: '/v1/small', summary: 'Body limited to 1 MB', body: z.unknown(), bodyLimitBytes: PAYLOAD_LIMIT_BYTES, responses: { 200: { description: 'ok' } } },
    (ctx, { rawBody }) => respond(ctx, 200, { bytes: Buffer.byteLength(rawBody ?? '') }),
  );
  defineRoute(router, openapi, { method: 'get', path: '/v1/boom', summary: 'Throws', responses: { 500: { description: 'never' } } }, () => {
    throw new Error('kaboom: database password is hunter2');
  });
  defineRoute(router, openapi, { method: 'get', path: '/v1/store-down', summary: 'Store down', responses: {} }, () => {
    throw new StoreUnavailableError('sqlite: SQLITE_BUSY at /data/events.db');
  });
  defineRoute(router, openapi, { method: 'get', path: '/v1/deep-log', summary: 'Logs from below the route', responses: {} }, async (ctx) => {
    // As a command handler would: no ctx, only the AsyncLocalStorage scope, after an await.
    await new Promise((resolve) => setImmediate(resolve));
    currentLogger(fallbackLogger).info({ api_key: API_KEY, endpoint: { signing_secret: 'whsec_topsecret' } }, 'deep log line');
    const scope = requestScope.getStore();
    respond(ctx, 200, { request_id: currentRequestId(), scope_holds_request_data: scope !== undefined && ['rawBody', 'body', 'auth'].some((key) => key in scope) });
  });
  defineRoute(router, openapi, { method: 'get', path: '/v1/hang', summary: 'Never answers in time', responses: {} }, async (ctx) => {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    respond(ctx, 200, { late: true });
  });
  defineRoute(router, openapi, { method: 'get', path: '/v1/public', summary: 'No auth', auth: false, responses: {} }, (ctx, { auth }) => {
    respond(ctx, 200, { authenticated: auth !== undefined });
  });
  return router;
}

export interface Harness {
  web: WebServer;
  url: string;
  lookup: CountingLookup;
  logs: LogCapture;
  registry: Registry;
  setReadiness(r: Readiness): void;
  close(): Promise<void>;
}

export async function startHarness(options: { failedAuth?: FailedAuthLimitOptions; requestDeadlineMs?: number } = {}): Promise<Harness> {
  const logs = new LogCapture();
  const logger = createLogger({ level: 'info', destination: logs });
  const lookup = new CountingLookup();
  const registry = new Registry();
  const openapi = new OpenApiRegistry();
  let readiness: Readiness = { ready: false, reasons: ['store unreachable'] };
  const app = createApp({
    logger,
    authenticate: createApiKeyAuthenticator({ lookup, failedAuth: options.failedAuth ?? { maxFailures: 1000 } }),
    readiness: async () => readiness,
    routes: [testRouter(openapi, logger)],
    registry,
    openapi,
    ...(options.requestDeadlineMs !== undefined ? { requestDeadlineMs: options.requestDeadlineMs } : {}),
  });
  const web = await startWebServer(app, { port: 0, host: '127.0.0.1' });
  return {
    web,
    url: web.url,
    lookup,
    logs,
    registry,
    setReadiness: (r) => {
      readiness = r;
    },
    close: () => stopWebServer(web, 100),
  };
}

export const auth = { authorization: `Bearer ${API_KEY}` };
export const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;
