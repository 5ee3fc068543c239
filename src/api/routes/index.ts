import type Router from '@koa/router';
import type { ApiState } from '../state.js';
import { apiKeyRoutes } from './apiKeys.js';
import type { RouteDeps } from './deps.js';
import { endpointRoutes } from './endpoints.js';
import { messageEventRoutes } from './messageEvents.js';
import { messageRoutes } from './messages.js';
import { observabilityRoutes } from './observability.js';
import { replayRoutes } from './replays.js';
import { signingKeyRoutes } from './signingKeys.js';
import { webhookRoutes } from './webhooks.js';

export type { RouteDeps } from './deps.js';
export type { ReadModels } from './readModels.js';

/**
 * Every resource router, for createApp's `routes`. Each documents itself into deps.openapi,
 * which must be the registry createApp serves.
 */
export function createRoutes(deps: RouteDeps): Router<ApiState>[] {
  return [
    webhookRoutes(deps),
    // Before messageRoutes: /v1/messages/replay-all is not a message id.
    replayRoutes(deps),
    messageEventRoutes(deps),
    messageRoutes(deps),
    observabilityRoutes(deps),
    endpointRoutes(deps),
    signingKeyRoutes(deps),
    apiKeyRoutes(deps),
  ];
}
