import type { Middleware } from 'koa';
import { apiErrors } from '../http/apiErrors.js';
import type { ApiState } from '../state.js';

/**
 * Defence in depth for "never a hang" (issue 4, item 7): store adapters time out on their
 * own and throw StoreUnavailableError; if anything below still has not answered after
 * `ms`, the caller gets 503 SERVICE_UNAVAILABLE anyway. The late handler keeps running
 * but can no longer change the response (Koa ignores writes once it has been sent).
 */
export function requestDeadline(ms: number): Middleware<ApiState> {
  return async function requestDeadlineMiddleware(ctx, next) {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ctx.state.logger.warn({ deadline_ms: ms }, 'request deadline passed; answering 503');
        reject(apiErrors.serviceUnavailable());
      }, ms);
    });
    try {
      await Promise.race([next(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}
