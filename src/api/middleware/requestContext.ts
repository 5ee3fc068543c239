import { randomFillSync } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { ulid } from 'ulid';
import { requestScope, type RequestScope } from '../requestScope.js';
import type { ApiKeyAuthenticator } from '../auth/authenticator.js';
import type { ApiState } from '../state.js';
import type { HttpMetrics } from '../metrics.js';

/**
 * An incoming X-Request-Id is reused only when it already has our own shape, so a caller
 * (or one of our own services) can follow one id across hops while meta.request_id stays
 * `req_` + ULID for everyone else; anything else gets a fresh id.
 */
export const REQUEST_ID_PATTERN = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * ulid()'s default PRNG asks the OS for one byte per character (16 calls per id, and it
 * looks the PRNG up on every call): 7% of the CPU of a retry-now in the profile
 * (BENCHMARKS.md). This one hands out bytes from a 4 KiB pool refilled from the same
 * CSPRNG. byte/256 is exactly what ulid's own PRNG returns, so the ids are as random.
 */
const pool = new Uint8Array(4096);
let poolAt = pool.length;
function pooledRandom(): number {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return (pool[poolAt++] as number) / 256;
}

export function newRequestId(): string {
  return `req_${ulid(undefined, pooledRandom)}`;
}

/** The route template koa-router matched (bounded label), or 'unmatched'. */
function routeOf(ctx: { _matchedRoute?: string | RegExp }): string {
  const route = ctx._matchedRoute;
  return typeof route === 'string' ? route : route instanceof RegExp ? route.source : 'unmatched';
}

/**
 * Outermost middleware: gives the request its id (header on every response, errors and
 * 404s included, because the error middleware runs inside this one), a child logger in
 * ctx.state and in AsyncLocalStorage, then writes one access line and one metrics sample
 * with the final status.
 *
 * The child logger is built only when something asks for it (an error, a warning): most
 * requests log just their access line, which goes through the parent with request_id as
 * its first field, the same line the child would write for a fraction of the cost. That
 * line skips redaction: its fields are fixed and none has a redacted name (every path in
 * redactPaths ends in a name the line never uses), yet matching them was 1.5% of a request.
 */
export function requestContext(deps: { logger: Logger; metrics: HttpMetrics; authenticator: ApiKeyAuthenticator }): Middleware<ApiState> {
  const accessLog = deps.logger.child({}, { redact: [] });
  return async function requestContextMiddleware(ctx, next) {
    const started = process.hrtime.bigint();
    const incoming = ctx.get('x-request-id');
    const requestId = REQUEST_ID_PATTERN.test(incoming) ? incoming : newRequestId();
    const scope = new RequestLogScope(deps.logger, requestId);
    ctx.state = new RequestState(scope, deps.authenticator) as ApiState;
    ctx.set('X-Request-Id', requestId);
    try {
      // The scope, not ctx.state: whatever async work the request starts (a timer, a worker,
      // a store flush) keeps the scope alive, and ctx.state holds the body (up to ~1 MB).
      await requestScope.run(scope, next);
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(ctx as { _matchedRoute?: string | RegExp });
      deps.metrics.observe({ method: ctx.method, route, status: ctx.status }, seconds);
      accessLog.info({ request_id: requestId, method: ctx.method, route, path: ctx.path, status: ctx.status, ms: Math.round(seconds * 100_000) / 100 }, 'request');
    }
  };
}

/** The request id and its child logger, built only when asked for. */
class RequestLogScope implements RequestScope {
  #logger: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    readonly requestId: string,
  ) {}

  get logger(): Logger {
    this.#logger ??= this.parent.child({ request_id: this.requestId });
    return this.#logger;
  }
}

/**
 * ctx.state of every request, created whole with all its fields, so later steps fill them
 * in without changing its shape. Defining a lazy `logger` getter on Koa's plain `{}` per
 * request (as this did before) redefined a property and created a closure each time.
 */
class RequestState {
  auth: ApiState['auth'] = undefined;
  rawBody: ApiState['rawBody'] = undefined;
  body: ApiState['body'] = undefined;

  constructor(
    private readonly scope: RequestLogScope,
    readonly authenticator: ApiKeyAuthenticator,
  ) {}

  get requestId(): string {
    return this.scope.requestId;
  }

  get logger(): Logger {
    return this.scope.logger;
  }
}
