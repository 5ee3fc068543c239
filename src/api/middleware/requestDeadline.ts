import type { Middleware, ParameterizedContext } from 'koa';
import { apiErrors } from '../http/apiErrors.js';
import type { ApiState } from '../state.js';

/**
 * Defence in depth for "never a hang" (issue 4, item 7): store adapters time out on their
 * own and throw StoreUnavailableError; if anything below still has not answered after
 * `ms`, the caller gets 503 SERVICE_UNAVAILABLE anyway. The late handler keeps running
 * but can no longer change the response (Koa ignores writes once it has been sent).
 */
export function requestDeadline(ms: number): Middleware<ApiState> {
  // One promise settled by whichever comes first, instead of an async function awaiting
  // Promise.race over the work and a deadline promise: two promises per request, not five.
  return function requestDeadlineMiddleware(ctx, next) {
    const work = next();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(passDeadline, ms, ctx, ms, reject);
      work.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  };
}

function passDeadline(ctx: ParameterizedContext<ApiState>, ms: number, reject: (error: unknown) => void): void {
  ctx.state.logger.warn({ deadline_ms: ms }, 'request deadline passed; answering 503');
  reject(apiErrors.serviceUnavailable());
}
