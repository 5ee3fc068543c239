import Router from '@koa/router';
import { apiErrors, defineRoute, respond, successEnvelope } from '../index.js';
import type { ApiState } from '../state.js';
import { replayMany, tally } from '../../commands/replayMany.js';
import { replayAllData, replayAllQuery, replayBatchBody, replayBatchData } from '../schemas/observability.js';
import { clockOf, metadataOf, type RouteDeps } from './deps.js';

/** Replay many: every message of a status (replay-all) or a list of ids (replay-batch). */
const summary = (replayed: number, total: number): string => `${replayed} of ${total} message${total === 1 ? '' : 's'} queued for replay`;

export function replayRoutes(deps: RouteDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const { store, openapi, policy } = deps;
  const now = clockOf(deps);

  defineRoute(
    router,
    openapi,
    {
      method: 'post',
      path: '/v1/messages/replay-all',
      summary: 'Replay every message with a status (oldest first, up to limit)',
      description: 'Each is a regular replay, counted toward its 10. stuck: busy now (being delivered, fast retry), try later; failed: will not succeed (replay limit).',
      tags: ['messages'],
      query: replayAllQuery,
      responses: { 200: { description: 'What was replayed', schema: successEnvelope(replayAllData, { message: true }) } },
    },
    async (ctx, { query, auth }) => {
      if (deps.readModels === undefined) throw apiErrors.serviceUnavailable();
      const selected = deps.readModels.messages.selectForReplay({
        project_id: auth.project_id,
        status: query.status,
        limit: query.limit,
        ...(query.endpoint_id === undefined ? {} : { endpoint_id: query.endpoint_id }),
      });
      const outcomes = await replayMany(store, policy, { message_ids: selected.map((m) => m.message_id), project_id: auth.project_id, now: now(), metadata: metadataOf(ctx, auth) });
      const { replayed, stuck, failed } = tally(outcomes);
      respond(
        ctx,
        200,
        { replayed: replayed.length, failed: failed.length, stuck: stuck.length, replayed_message_ids: replayed, stuck_message_ids: stuck, failed_message_ids: failed },
        { message: summary(replayed.length, outcomes.length) },
      );
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'post',
      path: '/v1/messages/replay-batch',
      summary: 'Replay up to 100 messages by id, with a result per id',
      tags: ['messages'],
      body: replayBatchBody,
      responses: { 200: { description: 'A result per id, in request order', schema: successEnvelope(replayBatchData, { message: true }) } },
    },
    async (ctx, { body, auth }) => {
      // An id given twice is replayed once and reported once.
      const ids = [...new Set(body.message_ids)];
      const outcomes = await replayMany(store, policy, { message_ids: ids, project_id: auth.project_id, now: now(), metadata: metadataOf(ctx, auth) });
      const { replayed, stuck, failed } = tally(outcomes);
      respond(ctx, 200, { replayed: replayed.length, failed: failed.length, stuck: stuck.length, results: outcomes }, { message: summary(replayed.length, outcomes.length) });
    },
  );
  return router;
}
