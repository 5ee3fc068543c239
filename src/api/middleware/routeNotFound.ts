import type { Middleware } from 'koa';
import type Router from '@koa/router';
import { apiErrors } from '../http/apiErrors.js';
import type { ApiState } from '../state.js';

/**
 * Innermost middleware: reached only when no router matched path and method. If some
 * route has this path under another method the answer is 405 with Allow (OPTIONS gets
 * 204 with Allow), otherwise 404 NOT_FOUND in the envelope.
 */
export function routeNotFound(routers: readonly Router<ApiState>[]): Middleware<ApiState> {
  return async function routeNotFoundMiddleware(ctx) {
    const allowed = new Set<string>();
    for (const router of routers) {
      for (const layer of router.stack) {
        if (layer.methods.length > 0 && layer.match(ctx.path)) layer.methods.forEach((m) => allowed.add(m));
      }
    }
    if (allowed.size === 0) throw apiErrors.routeNotFound();
    const list = [...allowed].sort();
    if (ctx.method === 'OPTIONS') {
      ctx.set('Allow', [...list, 'OPTIONS'].join(', '));
      ctx.status = 204;
      return;
    }
    throw apiErrors.methodNotAllowed(list);
  };
}
