import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import { StoreUnavailableError } from '../../eventstore/errors.js';
import { apiErrors } from '../http/apiErrors.js';
import { errorBody } from '../http/envelope.js';
import { validationError } from '../http/validate.js';
import type { ApiState } from '../state.js';

const codeForStatus: Record<number, string> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
};

/** Errors Koa or its helpers raise (ctx.throw(400), http-errors) carry these. */
function isHttpError(error: unknown): error is Error & { status: number; expose?: boolean } {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number';
}

function toDomainError(error: unknown): DomainError | null {
  if (error instanceof DomainError) return error;
  if (error instanceof StoreUnavailableError) return apiErrors.serviceUnavailable();
  if (error instanceof z.ZodError) return validationError(error, 'body', undefined) as DomainError;
  if (isHttpError(error) && error.status >= 400 && error.status < 500 && error.expose === true) {
    if (error.status === 413) return apiErrors.payloadTooLarge();
    return new DomainError(codeForStatus[error.status] ?? 'INVALID_REQUEST', error.message, error.status);
  }
  return null;
}

function setHintHeaders(ctx: Context, error: DomainError): void {
  const allowed = error.details?.['allowed'];
  if (error.status === 405 && Array.isArray(allowed)) ctx.set('Allow', allowed.join(', '));
  const retryAfter = error.details?.['retry_after_seconds'];
  if (error.status === 429 && typeof retryAfter === 'number') ctx.set('Retry-After', String(retryAfter));
}

/**
 * The one place errors become the envelope. Known refusals keep their code, message and
 * details; anything else is 500 INTERNAL_ERROR with a fixed message, its stack going to
 * the log (with request_id) and never to the caller.
 */
export function errorHandler(): Middleware<ApiState> {
  return async function errorHandlerMiddleware(ctx, next) {
    try {
      await next();
    } catch (error) {
      const known = toDomainError(error);
      if (known !== null) {
        setHintHeaders(ctx as unknown as Context, known);
        if (known.status >= 500) ctx.state.logger.error({ err: error }, 'request failed: service unavailable');
        ctx.status = known.status;
        ctx.body = errorBody(ctx as unknown as Context, known.code, known.message, known.details);
        return;
      }
      ctx.state.logger.error({ err: error }, 'unhandled error');
      ctx.status = 500;
      ctx.body = errorBody(ctx as unknown as Context, 'INTERNAL_ERROR', 'Internal server error');
    }
  };
}
