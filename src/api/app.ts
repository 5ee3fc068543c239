import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ApiKeyAuthenticator } from './auth/authenticator.js';
import { createHttpMetrics } from './metrics.js';
import { errorHandler } from './middleware/errorHandler.js';
import { requestContext } from './middleware/requestContext.js';
import { requestDeadline } from './middleware/requestDeadline.js';
import { routeNotFound } from './middleware/routeNotFound.js';
import type { OpenApiRegistry } from './openapi.js';
import type { Readiness } from './opsRoutes.js';
import { opsRouter } from './opsRoutes.js';
import type { ApiState } from './state.js';

export interface AppDeps {
  logger: Logger;
  authenticate: ApiKeyAuthenticator;
  readiness: () => Promise<Readiness>;
  /** Resource routers, each built with defineRoute on the same `openapi` registry. */
  routes: readonly Router<ApiState>[];
  registry: Registry;
  openapi: OpenApiRegistry;
  openapiInfo?: { title: string; version: string; description?: string };
  /** Trust X-Forwarded-For for ctx.ip (failed-auth limit per client). Only behind a proxy. */
  trustProxy?: boolean;
  /** Answer 503 SERVICE_UNAVAILABLE if a request has no answer after this long. Off when unset. */
  requestDeadlineMs?: number;
}

/**
 * The HTTP app without a listener. Order matters: requestContext is outermost so the id,
 * access line and metrics see the final status of everything inside; errorHandler turns
 * any throw below it into the envelope; then ops routes (no auth), resource routes (auth
 * per route via defineRoute), and last the 404/405 answer for whatever matched nothing.
 */
export function createApp(deps: AppDeps): Koa<ApiState> {
  // No Koa asyncLocalStorage: nothing reads app.currentContext, and every AsyncLocalStorage
  // adds work to every promise in the process; requestScope is the one request context.
  const app = new Koa<ApiState>({ proxy: deps.trustProxy ?? false });
  // Errors are logged once, with request id, by errorHandler; silence Koa's stderr printer.
  app.silent = true;
  const metrics = createHttpMetrics(deps.registry);
  const ops = opsRouter({
    readiness: deps.readiness,
    registry: deps.registry,
    openapi: deps.openapi,
    openapiInfo: deps.openapiInfo ?? { title: 'ledgerhook', version: '0.1.0' },
  });
  const routers = [ops, ...deps.routes];
  // ctx.state.authenticator is set with the request's state, not by a middleware layer of its own.
  app.use(requestContext({ logger: deps.logger, metrics, authenticator: deps.authenticate }));
  app.use(errorHandler());
  if (deps.requestDeadlineMs !== undefined) app.use(requestDeadline(deps.requestDeadlineMs));
  // Every route in one router, in the same order: with a router per resource, a request went
  // through each router before its own, and each matched its whole table against the path.
  const allRoutes = new Router<ApiState>();
  for (const router of routers) allRoutes.use(router.routes());
  app.use(allRoutes.routes());
  app.use(routeNotFound(routers));
  return app;
}
