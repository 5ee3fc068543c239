import { DomainError } from '../../domain/errors.js';

/**
 * The transport-level refusals, built once so every route words them the same way.
 * Resource-specific errors (INVALID_STATUS, NOT_FOUND "Message not found") stay in the
 * domain; these are about the HTTP request itself.
 */
export const PAYLOAD_LIMIT_BYTES = 1024 * 1024;

export const apiErrors = {
  invalidRequest: (message: string, details?: Record<string, unknown>) => new DomainError('INVALID_REQUEST', message, 400, details),
  unauthorized: () => new DomainError('UNAUTHORIZED', 'Invalid or missing API key', 401),
  rateLimited: (retryAfterSeconds: number) =>
    new DomainError('RATE_LIMITED', 'Too many failed authentication attempts, try again later', 429, { retry_after_seconds: retryAfterSeconds }),
  payloadTooLarge: () => new DomainError('PAYLOAD_TOO_LARGE', 'payload exceeds the 1 MB limit', 400, { limit_bytes: PAYLOAD_LIMIT_BYTES }),
  routeNotFound: () => new DomainError('NOT_FOUND', 'Route not found', 404),
  methodNotAllowed: (allowed: readonly string[]) =>
    new DomainError('METHOD_NOT_ALLOWED', `Method not allowed; allowed: ${allowed.join(', ')}`, 405, { allowed: [...allowed] }),
  serviceUnavailable: () => new DomainError('SERVICE_UNAVAILABLE', 'Service temporarily unavailable, retry shortly', 503),
} as const;
