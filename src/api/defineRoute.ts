import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import type { Context } from 'koa';
import type { z } from 'zod';
import type { AuthContext } from './auth/apiKeys.js';
import { assertJsonContentType, DEFAULT_BODY_LIMIT_BYTES, hasBody, parseJsonSafely, readRawBody } from './http/body.js';
import { parseWith } from './http/validate.js';
import type { OpenApiRegistry, RouteSpec } from './openapi.js';
import type { ApiState } from './state.js';

type Schema = z.ZodType | undefined;
type Out<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteDefinition<P extends Schema, Q extends Schema, B extends Schema, H extends Schema, A extends boolean | undefined>
  extends Omit<RouteSpec, 'params' | 'query' | 'body' | 'headers' | 'auth'> {
  params?: P;
  query?: Q;
  /** Use z.strictObject so unknown fields are refused with "unknown field 'x'". */
  body?: B;
  headers?: H;
  auth?: A;
}

/** What a handler gets: everything already authenticated, read and validated. */
export interface RouteInput<P extends Schema, Q extends Schema, B extends Schema, H extends Schema, A extends boolean | undefined> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  headers: Out<H>;
  /** The body text exactly as received; undefined when the request had none. */
  rawBody: string | undefined;
  auth: A extends false ? undefined : AuthContext;
}

export type RouteHandler<P extends Schema, Q extends Schema, B extends Schema, H extends Schema, A extends boolean | undefined> = (
  ctx: RouterContext<ApiState>,
  input: RouteInput<P, Q, B, H, A>,
) => Promise<void> | void;

/**
 * Registers one route from one declaration: the same zod schemas validate the request
 * and document it in /openapi.json. Steps, in order: auth (401/429) unless `auth: false`,
 * then the body (only if `body` is declared: Content-Type, size limit, safe JSON), then
 * params, query, headers, body validation (400 INVALID_REQUEST naming the field), then
 * the handler, which answers with respond().
 */
export function defineRoute<
  P extends Schema = undefined,
  Q extends Schema = undefined,
  B extends Schema = undefined,
  H extends Schema = undefined,
  A extends boolean | undefined = undefined,
>(
  router: Router<ApiState>,
  openapi: OpenApiRegistry,
  spec: RouteDefinition<P, Q, B, H, A>,
  handler: RouteHandler<P, Q, B, H, A>,
): void {
  openapi.add(spec as RouteSpec);
  const limit = spec.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const route = async function routeHandler(ctx: RouterContext<ApiState>): Promise<void> {
    if (spec.auth !== false) {
      const auth = ctx.state.authenticator.authenticate(ctx.get('authorization') || undefined, ctx.ip);
      ctx.state.auth = auth instanceof Promise ? await auth : auth;
    }
    let rawBody: string | undefined;
    if (spec.body !== undefined && hasBody(ctx as unknown as Context)) {
      assertJsonContentType(ctx as unknown as Context);
      rawBody = await readRawBody(ctx as unknown as Context, limit);
      ctx.state.rawBody = rawBody;
      ctx.state.body = rawBody.trim() === '' ? undefined : parseJsonSafely(rawBody);
    }
    const input = {
      params: spec.params ? parseWith(spec.params, { ...ctx.params }, 'params') : undefined,
      query: spec.query ? parseWith(spec.query, { ...ctx.query }, 'query') : undefined,
      headers: spec.headers ? parseWith(spec.headers, { ...ctx.headers }, 'headers') : undefined,
      body: spec.body ? parseWith(spec.body, ctx.state.body, 'body') : undefined,
      rawBody,
      auth: ctx.state.auth,
    } as RouteInput<P, Q, B, H, A>;
    await handler(ctx, input);
  };
  router[spec.method](spec.path, route);
}
