import type Router from '@koa/router';
import type { ApiState } from '../state.js';
import { apiKeyRoutes } from './apiKeys.js';
import type { RouteDeps } from './deps.js';
import { endpointRoutes } from './endpoints.js';
import { messageEventRoutes } from './messageEvents.js';
import { messageRoutes } from './messages.js';
import { signingKeyRoutes } from './signingKeys.js';
import { webhookRoutes } from './webhooks.js';

export type { RouteDeps } from './deps.js';
export type { ReadModels } from './readModels.js';

/**
 * Every resource router, for createApp's `routes`. Each documents itself into deps.openapi,
 * which must be the registry createApp serves.
 */
export function createRoutes(deps: RouteDeps): Router<ApiState>[] {
  return [webhookRoutes(deps), messageEventRoutes(deps), messageRoutes(deps), endpointRoutes(deps), signingKeyRoutes(deps), apiKeyRoutes(deps)];
}
