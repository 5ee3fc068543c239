import Router from '@koa/router';
import type { Registry } from 'prom-client';
import type { OpenApiRegistry } from './openapi.js';
import type { ApiState } from './state.js';

export interface Readiness {
  ready: boolean;
  /** Why not ready, e.g. "store unreachable", "projection messages 120 events behind". */
  reasons?: string[];
}

export interface OpsDeps {
  readiness: () => Promise<Readiness>;
  registry: Registry;
  openapi: OpenApiRegistry;
  openapiInfo: { title: string; version: string; description?: string };
}

/**
 * Unauthenticated operational endpoints, answered in their own plain shapes (probes and
 * Prometheus do not speak the envelope): /health is liveness and always 200; /ready is 503
 * with reasons until the app says it can serve.
 */
export function opsRouter(deps: OpsDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  router.get('/health', async function health(ctx) {
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', async function ready(ctx) {
    let readiness: Readiness;
    try {
      readiness = await deps.readiness();
    } catch (error) {
      ctx.state.logger.warn({ err: error }, 'readiness check failed');
      readiness = { ready: false, reasons: ['readiness check failed'] };
    }
    ctx.status = readiness.ready ? 200 : 503;
    ctx.body = readiness.ready ? { status: 'ready' } : { status: 'not_ready', reasons: readiness.reasons ?? [] };
  });
  router.get('/metrics', async function metrics(ctx) {
    ctx.type = deps.registry.contentType;
    ctx.body = await deps.registry.metrics();
  });
  let document: Record<string, unknown> | undefined;
  router.get('/openapi.json', async function openapi(ctx) {
    // Routes are all defined before the first request, so the document is built once.
    document ??= deps.openapi.document(deps.openapiInfo);
    ctx.body = document;
  });
  return router;
}
