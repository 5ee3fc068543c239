import Router from '@koa/router';
import { z } from 'zod';
import { defineRoute, respond, successEnvelope } from '../index.js';
import type { ApiState } from '../state.js';
import { changeEndpoint, createSigningKey, readOwnEndpoint } from '../../commands/endpoints.js';
import { createdSigningKey, endpointParams, signingKeyObject, signingKeyParams } from '../schemas/endpoints.js';
import { clockOf, metadataOf, type RouteDeps } from './deps.js';

/** An endpoint's signing keys, for rotation: at most 2 active; the secret is shown once, at creation. */
export function signingKeyRoutes(deps: RouteDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const { store, openapi } = deps;
  const now = clockOf(deps);

  defineRoute(
    router,
    openapi,
    {
      method: 'post',
      path: '/v1/endpoints/:id/signing-keys',
      summary: 'Create a signing key (its secret is shown only here)',
      tags: ['endpoints'],
      params: endpointParams,
      responses: {
        201: { description: 'Created', schema: successEnvelope(createdSigningKey) },
        404: { description: 'Endpoint not found' },
        409: { description: 'MAX_SIGNING_KEYS_REACHED' },
      },
    },
    async (ctx, { params, auth }) => {
      const created = await createSigningKey(store, { endpoint_id: params.id, project_id: auth.project_id, now: now(), metadata: metadataOf(ctx, auth) });
      respond(ctx, 201, created);
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'get',
      path: '/v1/endpoints/:id/signing-keys',
      summary: "List an endpoint's active signing keys (no secrets)",
      tags: ['endpoints'],
      params: endpointParams,
      responses: { 200: { description: 'Active keys, oldest first', schema: successEnvelope(z.array(signingKeyObject)) }, 404: { description: 'Endpoint not found' } },
    },
    async (ctx, { params, auth }) => {
      const record = await readOwnEndpoint(store, params.id, auth.project_id);
      respond(ctx, 200, record.signing_keys);
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'delete',
      path: '/v1/endpoints/:id/signing-keys/:keyId',
      summary: 'Delete a signing key (never the last one)',
      tags: ['endpoints'],
      params: signingKeyParams,
      responses: {
        200: { description: 'Deleted', schema: successEnvelope(z.object({ id: z.string(), deleted: z.literal(true) })) },
        404: { description: 'Endpoint or signing key not found' },
        409: { description: 'CANNOT_DELETE_LAST_SIGNING_KEY' },
      },
    },
    async (ctx, { params, auth }) => {
      await changeEndpoint(store, { endpoint_id: params.id, project_id: auth.project_id, now: now(), metadata: metadataOf(ctx, auth), command: { type: 'DeleteSigningKey', key_id: params.keyId } });
      respond(ctx, 200, { id: params.keyId, deleted: true });
    },
  );
  return router;
}
