import Router from '@koa/router';
import { z } from 'zod';
import { defineRoute, respond, successEnvelope } from '../index.js';
import type { ApiState } from '../state.js';
import { deleteApiKey, listApiKeys } from '../../commands/apiKeys.js';
import { newApiKey } from '../../commands/ids.js';
import { createApiKey } from '../../commands/projects.js';
import { apiKeyParams, apiKeySummary, createApiKeyBody, createdApiKey } from '../schemas/apiKeys.js';
import { clockOf, metadataOf, type RouteDeps } from './deps.js';

/** The caller's project's API keys: the key itself is shown once; lists show only its prefix. */
export function apiKeyRoutes(deps: RouteDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const { store, openapi } = deps;
  const now = clockOf(deps);

  defineRoute(
    router,
    openapi,
    {
      method: 'post',
      path: '/v1/api-keys',
      summary: 'Create an API key (shown only in this answer)',
      tags: ['api-keys'],
      body: createApiKeyBody.optional(),
      responses: { 201: { description: 'Created', schema: successEnvelope(createdApiKey) } },
    },
    async (ctx, { body, auth }) => {
      const metadata = metadataOf(ctx, auth);
      const key = body?.mode === 'test' ? newApiKey().replace(/^hb_live_/, 'hb_test_') : undefined;
      const created = await createApiKey(store, {
        project_id: auth.project_id,
        now: now().toISOString(),
        actor: metadata.actor,
        ...(metadata.request_id === undefined ? {} : { request_id: metadata.request_id }),
        ...(body?.label === undefined ? {} : { label: body.label }),
        ...(key === undefined ? {} : { key }),
      });
      respond(ctx, 201, created);
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'get',
      path: '/v1/api-keys',
      summary: "List the project's API keys (prefix only)",
      tags: ['api-keys'],
      responses: { 200: { description: 'Live keys, oldest first', schema: successEnvelope(z.array(apiKeySummary)) } },
    },
    async (ctx, { auth }) => {
      respond(ctx, 200, await listApiKeys(store, auth.project_id));
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'delete',
      path: '/v1/api-keys/:key_id',
      summary: 'Delete an API key (refused at once by auth)',
      tags: ['api-keys'],
      params: apiKeyParams,
      responses: {
        200: { description: 'Deleted', schema: successEnvelope(z.object({ key_id: z.string(), deleted: z.literal(true) })) },
        404: { description: 'API key not found (also another project\'s)' },
        409: { description: 'CANNOT_DELETE_LAST_API_KEY' },
      },
    },
    async (ctx, { params, auth }) => {
      await deleteApiKey(store, { project_id: auth.project_id, key_id: params.key_id, now: now(), metadata: metadataOf(ctx, auth) });
      // Auth reads the api-keys read model: let it see the deletion, then drop the cached entry,
      // so no request after this answer gets through with the key.
      const head = await store.headPosition();
      if (head !== 'start') await deps.awaitReadModels?.(head, 2000);
      deps.authenticator.invalidateKey(params.key_id);
      respond(ctx, 200, { key_id: params.key_id, deleted: true });
    },
  );
  return router;
}
