import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

/**
 * What code deep inside a request (command handlers, store adapters) may want without
 * being handed ctx: the request id and the logger that already carries it. It holds only
 * these two (not ctx, so Koa's own asyncLocalStorage stays off) so non-HTTP layers do not
 * import Koa types, and so async work a request starts and outlives it (a timer, a worker,
 * a store flush) keeps nothing bigger alive: never the request body.
 */
export interface RequestScope {
  readonly requestId: string;
  readonly logger: Logger;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

/** The current request's logger (with request_id), or the fallback outside a request. */
export function currentLogger(fallback: Logger): Logger {
  return requestScope.getStore()?.logger ?? fallback;
}

/** The current request's id, or undefined outside a request (e.g. the scheduler). */
export function currentRequestId(): string | undefined {
  return requestScope.getStore()?.requestId;
}
