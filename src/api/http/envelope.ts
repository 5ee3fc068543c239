import type { Context } from 'koa';

/**
 * The HookBridge wire format, in one place. Success:
 *   { "message"?, "data", "meta": { "request_id", ...extra } }
 * Error:
 *   { "error": { "code", "message", "details"? }, "meta": { "request_id" } }
 */
export interface SuccessBody<T> {
  message?: string;
  data: T;
  meta: { request_id: string } & Record<string, unknown>;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Readonly<Record<string, unknown>> };
  meta: { request_id: string };
}

export interface RespondOptions {
  /** Top-level human string, used by retry-now, replay and the like. */
  message?: string;
  /** Extra meta fields (pagination: next_cursor, has_more). request_id always wins. */
  meta?: Record<string, unknown>;
}

function requestIdOf(ctx: Context): string {
  const id: unknown = ctx.state['requestId'];
  return typeof id === 'string' ? id : 'req_unknown';
}

/** Sets status and the success envelope. Key order follows the reference's examples. */
export function respond<T>(ctx: Context, status: number, data: T, options?: RespondOptions): void {
  // Spreads only where there is something to spread: this answers every successful request.
  const requestId = requestIdOf(ctx);
  const meta = options?.meta === undefined ? { request_id: requestId } : { ...options.meta, request_id: requestId };
  const body: SuccessBody<T> = options?.message === undefined ? { data, meta } : { message: options.message, data, meta };
  ctx.status = status;
  ctx.body = body;
}

export function errorBody(ctx: Context, code: string, message: string, details?: Readonly<Record<string, unknown>>): ErrorBody {
  return {
    error: { code, message, ...(details !== undefined ? { details } : {}) },
    meta: { request_id: requestIdOf(ctx) },
  };
}
