import Router from '@koa/router';
import { z } from 'zod';
import { apiErrors, defineRoute, respond, successEnvelope } from '../index.js';
import type { ApiState } from '../state.js';
import { dlqQuery, logItem as logItemSchema, logsQuery, looseMetricsQuery, metricsQuery, metricsSummary, metricsTimeseries } from '../schemas/observability.js';
import { clockOf, type RouteDeps } from './deps.js';
import type { ReadModels } from './readModels.js';
import { logItem, paged } from './support/listViews.js';

/** Logs, metrics and the DLQ list: read from the projections' read models, scoped to the caller's project. */
export function observabilityRoutes(deps: RouteDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const { openapi } = deps;
  const now = clockOf(deps);
  const models = (): ReadModels => {
    if (deps.readModels === undefined) throw apiErrors.serviceUnavailable();
    return deps.readModels;
  };
  const metricsParams = (query: z.infer<typeof looseMetricsQuery>) => {
    const parsed = metricsQuery.safeParse(query);
    if (!parsed.success) throw apiErrors.invalidRequest('Invalid window or endpoint_id parameter', { issues: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) });
    return parsed.data;
  };

  defineRoute(
    router,
    openapi,
    {
      method: 'get',
      path: '/v1/logs',
      summary: 'Delivery log: messages newest first, filtered',
      tags: ['observability'],
      query: logsQuery,
      responses: { 200: { description: 'A page of messages', schema: successEnvelope(z.array(logItemSchema), { meta: { next_cursor: z.string().nullable(), has_more: z.boolean() } }) } },
    },
    async (ctx, { query, auth }) => {
      const page = paged(() =>
        models().messages.listLogs({
          project_id: auth.project_id,
          limit: query.limit,
          ...(query.endpoint_id === undefined ? {} : { endpoint_id: query.endpoint_id }),
          ...(query.status === undefined ? {} : { status: query.status }),
          ...(query.start_time === undefined ? {} : { start_time: query.start_time }),
          ...(query.end_time === undefined ? {} : { end_time: query.end_time }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        }),
      );
      respond(ctx, 200, page.items.map(logItem), { meta: { next_cursor: page.next_cursor, has_more: page.has_more } });
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'get',
      path: '/v1/metrics',
      summary: 'Delivery metrics over a window',
      tags: ['observability'],
      query: looseMetricsQuery,
      responses: { 200: { description: 'Totals for the window', schema: successEnvelope(metricsSummary) }, 400: { description: 'Invalid window or endpoint_id parameter' } },
    },
    async (ctx, { query, auth }) => {
      const params = metricsParams(query);
      const summary = models().metrics.summary({ project_id: auth.project_id, window: params.window, nowMs: now().getTime(), ...(params.endpoint_id === undefined ? {} : { endpoint_id: params.endpoint_id }) });
      respond(ctx, 200, summary);
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'get',
      path: '/v1/metrics/timeseries',
      summary: 'Delivery metrics over a window, in buckets (1h: 5 min, 24h: 1 h, 7d: 6 h, 30d: 1 day)',
      tags: ['observability'],
      query: looseMetricsQuery,
      responses: { 200: { description: 'Buckets, oldest first', schema: successEnvelope(metricsTimeseries) }, 400: { description: 'Invalid window or endpoint_id parameter' } },
    },
    async (ctx, { query, auth }) => {
      const params = metricsParams(query);
      const series = models().metrics.timeseries({ project_id: auth.project_id, window: params.window, nowMs: now().getTime(), ...(params.endpoint_id === undefined ? {} : { endpoint_id: params.endpoint_id }) });
      respond(ctx, 200, series);
    },
  );

  defineRoute(
    router,
    openapi,
    {
      method: 'get',
      path: '/v1/dlq/messages',
      summary: 'Dead-letter queue: failed_permanent messages, newest first (pagination inside data)',
      tags: ['dlq'],
      query: dlqQuery,
      responses: {
        200: {
          description: 'A page of DLQ messages',
          schema: successEnvelope(z.object({ messages: z.array(logItemSchema), has_more: z.boolean(), next_cursor: z.string().nullable() })),
        },
      },
    },
    async (ctx, { query, auth }) => {
      const page = paged(() => models().messages.listDlq(auth.project_id, query.limit, query.cursor));
      respond(ctx, 200, { messages: page.items.map(logItem), has_more: page.has_more, next_cursor: page.next_cursor });
    },
  );
  return router;
}
