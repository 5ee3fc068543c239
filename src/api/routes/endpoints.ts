import Router from '@koa/router';
import { z } from 'zod';
import { apiErrors, defineRoute, respond, successEnvelope } from '../index.js';
import type { ApiState } from '../state.js';
import { changeEndpoint, createEndpoint, readOwnEndpoint, scanProjectEndpoints } from '../../commands/endpoints.js';
import { DomainError } from '../../domain/index.js';
import { InvalidCursorError } from '../../projections/index.js';
import { checkCustomHeaders } from '../schemas/customHeaders.js';
import { checkEndpointUrl } from '../schemas/endpointUrl.js';
import { createdEndpoint, createEndpointBody, endpointObject, endpointParams, endpointSummary, listEndpointsQuery, updateEndpointBody } from '../schemas/endpoints.js';
import { clockOf, metadataOf, type RouteDeps } from './deps.js';
import { KeyedLock } from './support/keyedLock.js';

/** Endpoints: create (the signing secret shown once), list, get, update, delete, pause, resume. */
const notFound = { description: 'Endpoint not found (also deleted, or another project\'s)' };

const duplicateUrl = (): DomainError => new DomainError('DUPLICATE_URL', 'an endpoint with this URL already exists in the project', 409);

export function endpointRoutes(deps: RouteDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const { store, openapi } = deps;
  const now = clockOf(deps);
  const allowPrivate = deps.allowPrivateEndpoints ?? false;
  // A URL check and the append after it must not interleave with another create or update
  // in the same project (this process; see docs/api.md on DUPLICATE_URL).
  const urlLock = new KeyedLock();

  /**
   * The project's live endpoint URLs. From the endpoints read model once it has caught up with
   * the log (the lock above means nothing of ours is in flight), else folded from the log.
   */
  async function projectUrls(projectId: string): Promise<{ id: string; url: string }[]> {
    const head = await store.headPosition();
    const caughtUp = deps.readModels !== undefined && deps.awaitReadModels !== undefined && (head === 'start' || (await deps.awaitReadModels(head, 2000)));
    if (deps.readModels === undefined || !caughtUp) return (await scanProjectEndpoints(store, projectId)).map((e) => ({ id: e.view.id, url: e.view.url }));
    const urls: { id: string; url: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = deps.readModels.endpoints.listEndpoints(projectId, 100, cursor);
      urls.push(...page.items.map((e) => ({ id: e.id, url: e.url })));
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    return urls;
  }

  /** Throws DUPLICATE_URL when another live endpoint of the project has the same normalised URL. */
  async function assertUniqueUrl(projectId: string, normalised: string, except?: string): Promise<void> {
    for (const endpoint of await projectUrls(projectId)) {
      if (endpoint.id === except) continue;
      const theirs = await checkEndpointUrl(endpoint.url, true).catch(() => endpoint.url);
      if (theirs === normalised) throw duplicateUrl();
    }
  }

  defineRoute(
    router,
    openapi,
    {
      method: 'post',
      path: '/v1/endpoints',
      summary: 'Create an endpoint (returns its signing secret, once)',
      tags: ['endpoints'],
      body: createEndpointBody,
      responses: {
        201: { description: 'Created', schema: successEnvelope(createdEndpoint) },
        400: { description: 'INVALID_REQUEST, INVALID_ENDPOINT, ENDPOINT_BLOCKED, INVALID_HEADERS' },
        409: { description: 'DUPLICATE_URL' },
      },
    },
    async (ctx, { body, auth }) => {
      const normalised = await checkEndpointUrl(body.url, allowPrivate);
      checkCustomHeaders(body.headers ?? {});
      const rate = body.rate_limit_rps ?? 0;
      const created = await urlLock.run(auth.project_id, async () => {
        await assertUniqueUrl(auth.project_id, normalised);
        return createEndpoint(store, {
          project_id: auth.project_id,
          url: body.url,
          description: body.description ?? '',
          headers: body.headers ?? {},
          rate_limit_rps: rate,
          burst: body.burst ?? rate,
          now: now(),
          metadata: metadataOf(ctx, auth),
        });
      });
      respond(ctx, 201, created);
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'get',
      path: '/v1/endpoints',
      summary: 'List endpoints, newest first',
      tags: ['endpoints'],
      query: listEndpointsQuery,
      responses: { 200: { description: 'A page of endpoints', schema: successEnvelope(z.array(endpointSummary), { meta: { next_cursor: z.string().nullable(), has_more: z.boolean() } }) } },
    },
    async (ctx, { query, auth }) => {
      if (deps.readModels === undefined) throw apiErrors.serviceUnavailable();
      let page;
      try {
        page = deps.readModels.endpoints.listEndpoints(auth.project_id, query.limit, query.cursor);
      } catch (error) {
        if (error instanceof InvalidCursorError) throw apiErrors.invalidRequest('cursor must be a cursor returned by a previous page');
        throw error;
      }
      respond(ctx, 200, page.items, { meta: { next_cursor: page.next_cursor, has_more: page.has_more } });
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'get',
      path: '/v1/endpoints/:id',
      summary: 'Get an endpoint (never its signing secret)',
      tags: ['endpoints'],
      params: endpointParams,
      responses: { 200: { description: 'The endpoint', schema: successEnvelope(endpointObject) }, 404: notFound },
    },
    async (ctx, { params, auth }) => {
      const record = await readOwnEndpoint(store, params.id, auth.project_id);
      respond(ctx, 200, record.view);
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'patch',
      path: '/v1/endpoints/:id',
      summary: 'Update an endpoint (omitted fields are kept; headers replaces the map)',
      tags: ['endpoints'],
      params: endpointParams,
      body: updateEndpointBody,
      responses: {
        200: { description: 'Updated', schema: successEnvelope(z.object({ id: z.string(), updated: z.literal(true) })) },
        400: { description: 'INVALID_REQUEST, INVALID_ENDPOINT, ENDPOINT_BLOCKED, INVALID_HEADERS' },
        404: notFound,
        409: { description: 'DUPLICATE_URL' },
      },
    },
    async (ctx, { params, body, auth }) => {
      const normalised = body.url === undefined ? undefined : await checkEndpointUrl(body.url, allowPrivate);
      if (body.headers !== undefined) checkCustomHeaders(body.headers);
      const changes = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
      const update = () => changeEndpoint(store, { endpoint_id: params.id, project_id: auth.project_id, now: now(), metadata: metadataOf(ctx, auth), command: { type: 'UpdateEndpoint', changes } });
      if (normalised === undefined) {
        await update();
      } else {
        await urlLock.run(auth.project_id, async () => {
          await readOwnEndpoint(store, params.id, auth.project_id);
          await assertUniqueUrl(auth.project_id, normalised, params.id);
          await update();
        });
      }
      respond(ctx, 200, { id: params.id, updated: true });
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'delete',
      path: '/v1/endpoints/:id',
      summary: 'Delete an endpoint (soft: its history stays; no more sends or deliveries)',
      tags: ['endpoints'],
      params: endpointParams,
      responses: { 200: { description: 'Deleted', schema: successEnvelope(z.object({ id: z.string(), deleted: z.literal(true) })) }, 404: notFound },
    },
    async (ctx, { params, auth }) => {
      await changeEndpoint(store, { endpoint_id: params.id, project_id: auth.project_id, now: now(), metadata: metadataOf(ctx, auth), command: { type: 'DeleteEndpoint' } });
      respond(ctx, 200, { id: params.id, deleted: true });
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'post',
      path: '/v1/endpoints/:id/pause',
      summary: 'Pause deliveries (sends are still accepted and stored)',
      tags: ['endpoints'],
      params: endpointParams,
      responses: { 200: { description: 'Paused', schema: successEnvelope(z.object({ id: z.string(), paused: z.literal(true) })) }, 404: notFound },
    },
    async (ctx, { params, auth }) => {
      await changeEndpoint(store, { endpoint_id: params.id, project_id: auth.project_id, now: now(), metadata: metadataOf(ctx, auth), command: { type: 'PauseEndpoint' } });
      respond(ctx, 200, { id: params.id, paused: true });
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'post',
      path: '/v1/endpoints/:id/resume',
      summary: 'Resume deliveries; messages held by the pause become due at once',
      tags: ['endpoints'],
      params: endpointParams,
      responses: {
        200: { description: 'Resumed', schema: successEnvelope(z.object({ id: z.string(), paused: z.literal(false), messages_requeued: z.number().int() })) },
        404: notFound,
      },
    },
    async (ctx, { params, auth }) => {
      const at = now();
      await changeEndpoint(store, { endpoint_id: params.id, project_id: auth.project_id, now: at, metadata: metadataOf(ctx, auth), command: { type: 'ResumeEndpoint' } });
      const requeued = deps.readModels?.dueRetry.countDeferredForEndpoint(params.id, at.getTime()) ?? 0;
      respond(ctx, 200, { id: params.id, paused: false, messages_requeued: requeued });
    },
  );

  return router;
}
