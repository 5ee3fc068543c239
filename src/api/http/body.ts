import type { Context } from 'koa';
import { apiErrors, PAYLOAD_LIMIT_BYTES } from './apiErrors.js';

/**
 * Whole-request limit: the reference caps the webhook payload at 1 MB, and the envelope
 * around it (endpoint_id, headers, idempotency key...) needs a little room on top. A route
 * may choose a smaller or larger limit in its spec.
 */
export const DEFAULT_BODY_LIMIT_BYTES = PAYLOAD_LIMIT_BYTES + 64 * 1024;

/** True when the request announces a body (a length above 0, or chunked). */
export function hasBody(ctx: Context): boolean {
  const length = ctx.get('content-length');
  if (length !== '') return Number(length) > 0;
  return ctx.get('transfer-encoding') !== '';
}

/**
 * The body must be JSON; we answer 400 INVALID_REQUEST rather than 415 because the
 * reference's error codes are all we promise callers, and its clients only branch on 400.
 */
export function assertJsonContentType(ctx: Context): void {
  const type = ctx.request.type;
  if (type !== 'application/json') {
    throw apiErrors.invalidRequest(`Content-Type must be application/json${type ? ` (got ${type})` : ''}`);
  }
  const charset = ctx.request.charset;
  if (charset !== '' && charset.toLowerCase() !== 'utf-8') {
    throw apiErrors.invalidRequest('Content-Type charset must be utf-8');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the raw body as text, stopping as soon as `limit` bytes are passed: a declared
 * Content-Length above the limit is refused before one byte is read, and a chunked body
 * is abandoned mid-stream. The text is kept as received because the send route stores the
 * payload byte-exact. The connection is closed after such a refusal so the unread rest
 * is not drained.
 */
export async function readRawBody(ctx: Context, limit: number): Promise<string> {
  const declared = ctx.get('content-length');
  if (declared !== '' && Number(declared) > limit) throw tooLarge(ctx);
  const req = ctx.req;
  const chunks: Buffer[] = [];
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    // Listeners as methods of one object: the service runs under tsx, which names every
    // function bound to a variable with a defineProperty call per request (0.7% of a send
    // for the five that were here); a method takes its name from its key at no cost.
    const on = {
      data(chunk: Buffer): void {
        received += chunk.length;
        if (received > limit) {
          on.off();
          req.pause();
          reject(tooLarge(ctx));
          return;
        }
        chunks.push(chunk);
      },
      end(): void {
        on.off();
        resolve();
      },
      error(error: Error): void {
        on.off();
        reject(error);
      },
      aborted(): void {
        on.off();
        reject(apiErrors.invalidRequest('request body was not received completely'));
      },
      off(): void {
        req.off('data', on.data);
        req.off('end', on.end);
        req.off('error', on.error);
        req.off('aborted', on.aborted);
      },
    };
    req.on('data', on.data);
    req.on('end', on.end);
    req.on('error', on.error);
    req.on('aborted', on.aborted);
  });
  try {
    return utf8.decode(Buffer.concat(chunks, received));
  } catch {
    throw apiErrors.invalidRequest('request body must be valid UTF-8');
  }
}

function tooLarge(ctx: Context): Error {
  ctx.set('Connection', 'close');
  return apiErrors.payloadTooLarge();
}

/**
 * JSON.parse that refuses prototype-pollution keys instead of silently stripping them:
 * a caller who sends `__proto__` learns it was not accepted, and nothing downstream
 * (spreads, merges) can be tricked. `constructor` is refused only in its dangerous form
 * (an object holding `prototype`), because webhook payloads may legitimately use the word.
 *
 * The check needs a reviver, and JSON.parse with a reviver walks the whole result again in
 * JS. Most bodies cannot hold either key (neither name nor a \u escape, which could spell
 * one, appears in the text) nor nest deeply enough for that walk to overflow the stack
 * (the reviver's "nested too deeply"), so they are parsed without it: same result.
 */
export function parseJsonSafely(text: string): unknown {
  const plain = !text.includes('__proto__') && !text.includes('constructor') && !text.includes('\\u') && !mayNestDeeperThan(text, PLAIN_PARSE_MAX_DEPTH);
  try {
    return plain ? JSON.parse(text) : JSON.parse(text, refuseForbiddenKeys);
  } catch (error) {
    if (error instanceof ForbiddenKeyError) {
      throw apiErrors.invalidRequest(`request body must not contain the key '${error.key}'`);
    }
    if (error instanceof RangeError) throw apiErrors.invalidRequest('request body is nested too deeply');
    throw apiErrors.invalidRequest('request body must be valid JSON');
  }
}

// A module-level reviver: a function defined inside parseJsonSafely was a new closure per request.
function refuseForbiddenKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new ForbiddenKeyError('__proto__');
  if (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype')) {
    throw new ForbiddenKeyError('constructor.prototype');
  }
  return value;
}

/**
 * Far below the depth at which the reviver's walk overflows the stack (about 2,000-3,000
 * levels on Node 20's default stack), so a body parsed without it would also have passed it.
 */
const PLAIN_PARSE_MAX_DEPTH = 256;

/** True when the text may nest deeper than `limit`: it holds more opening brackets than that. */
function mayNestDeeperThan(text: string, limit: number): boolean {
  return countUpTo(text, '{', limit) + countUpTo(text, '[', limit) > limit;
}

function countUpTo(text: string, char: string, limit: number): number {
  let count = 0;
  for (let at = text.indexOf(char); at !== -1 && count <= limit; at = text.indexOf(char, at + 1)) count += 1;
  return count;
}

class ForbiddenKeyError extends Error {
  constructor(readonly key: string) {
    super(`forbidden key ${key}`);
  }
}
