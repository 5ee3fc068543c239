import type { Logger } from 'pino';
import type { ParameterizedContext } from 'koa';
import type { AuthContext } from './auth/apiKeys.js';
import type { ApiKeyAuthenticator } from './auth/authenticator.js';

/** Per-request data on ctx.state. Resource routers are `new Router<ApiState>()`. */
export interface ApiState {
  /** `req_` + ULID; also the X-Request-Id header and meta.request_id. */
  requestId: string;
  /** pino child logger carrying request_id. */
  logger: Logger;
  /** Set by createApp (with the request id) so defineRoute's auth step needs no import of the app's deps. */
  authenticator: ApiKeyAuthenticator;
  /** Set once the route's auth step passed. */
  auth?: AuthContext;
  /** The body exactly as received (UTF-8 text), for routes declaring a body. */
  rawBody?: string;
  /** The parsed JSON body, before validation. */
  body?: unknown;
}

export type ApiContext = ParameterizedContext<ApiState>;
