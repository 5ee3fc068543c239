import Router from '@koa/router';
import { z } from 'zod';
import { apiErrors, defineRoute, respond, successEnvelope } from '../index.js';
import type { ApiState } from '../state.js';
import { readOwnMessage } from '../../commands/messages.js';
import { eventsQuery, historyEvent, messageIdParams } from '../schemas/messages.js';
import type { RouteDeps } from './deps.js';

/**
 * For auditors: a message's whole history, in order, as the log holds it (type, revision,
 * global position, recorded time, data, and who did it under which request). Cursor-paginated
 * by revision; the cursor is opaque to callers (base64url of the next revision).
 */
const encodeCursor = (revision: bigint): string => Buffer.from(`r:${revision}`, 'utf8').toString('base64url');

function decodeCursor(cursor: string): bigint {
  const match = /^r:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null) throw apiErrors.invalidRequest('cursor must be a cursor returned by a previous page');
  return BigInt(match[1] as string);
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function messageEventRoutes(deps: RouteDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  defineRoute(
    router,
    deps.openapi,
    {
      method: 'get',
      path: '/v1/messages/:id/events',
      summary: "A message's event history, oldest first (auditors)",
      tags: ['messages', 'audit'],
      params: messageIdParams,
      query: eventsQuery,
      responses: {
        200: { description: 'Events in stream order', schema: successEnvelope(z.array(historyEvent), { meta: { has_more: z.boolean(), next_cursor: z.string().nullable() } }) },
        404: { description: 'Message not found' },
      },
    },
    async (ctx, { params, query, auth }) => {
      const from = query.cursor === undefined ? 0n : decodeCursor(query.cursor);
      // Ownership is checked on the first event, whatever page is asked for.
      const recorded = await readOwnMessage(deps.store, params.id, auth.project_id);
      const page = recorded.filter((r) => r.revision >= from).slice(0, query.limit + 1);
      const hasMore = page.length > query.limit;
      const shown = page.slice(0, query.limit);
      const data = shown.map((r) => ({
        type: r.type,
        revision: Number(r.revision),
        position: r.position.toString(),
        recorded_at: r.created.toISOString(),
        data: r.data as Record<string, unknown>,
        actor: text(r.metadata['actor']),
        request_id: text(r.metadata['request_id']),
      }));
      const last = shown.at(-1);
      respond(ctx, 200, data, { meta: { has_more: hasMore, next_cursor: hasMore && last !== undefined ? encodeCursor(last.revision + 1n) : null } });
    },
  );
  return router;
}
