import type { RouterContext } from '@koa/router';
import type { ApiKeyAuthenticator } from '../auth/authenticator.js';
import type { AuthContext } from '../auth/apiKeys.js';
import type { OpenApiRegistry } from '../openapi.js';
import type { ApiState } from '../state.js';
import type { CommandMetadata } from '../../commands/handle.js';
import type { RetryPolicy } from '../../domain/index.js';
import type { EventStore } from '../../eventstore/port.js';
import type { ReadModels } from './readModels.js';

/** What the resource routes need; the composition root builds it (src/main.ts). */
export interface RouteDeps {
  readonly store: EventStore;
  /** The registry createApp serves as /openapi.json: routes document themselves into it. */
  readonly openapi: OpenApiRegistry;
  readonly policy: RetryPolicy;
  /** The deleting route drops a key from the auth cache at once. */
  readonly authenticator: Pick<ApiKeyAuthenticator, 'invalidateKey'>;
  /** ALLOW_PRIVATE_ENDPOINTS: endpoint URLs on loopback/private literals are accepted. */
  readonly allowPrivateEndpoints?: boolean;
  /** Default: the system clock. Tests pass a fixed one. */
  readonly clock?: () => Date;
  /** Queries over the projections' read models; list routes answer 503 until they are given. */
  readonly readModels?: ReadModels;
  /**
   * Resolves once the read models hold the log up to `position` (the runner's
   * waitForPosition). Deleting an API key waits on it, so auth refuses the key before the
   * DELETE answers.
   */
  readonly awaitReadModels?: (position: bigint, timeoutMs: number) => Promise<boolean>;
}

/** Audit metadata for every event a route appends: the request and the API key acting. */
export function metadataOf(ctx: RouterContext<ApiState>, auth: AuthContext): CommandMetadata {
  return { request_id: ctx.state.requestId, actor: auth.key_id };
}

export const clockOf = (deps: RouteDeps): (() => Date) => deps.clock ?? (() => new Date());
