import Router from '@koa/router';
import { defineRoute, apiErrors, PAYLOAD_LIMIT_BYTES, respond, successEnvelope } from '../index.js';
import type { ApiState } from '../state.js';
import { sendWebhook } from '../../commands/messages.js';
import { checkCustomHeaders } from '../schemas/customHeaders.js';
import { messageRef, sendBody } from '../schemas/messages.js';
import { clockOf, metadataOf, type RouteDeps } from './deps.js';
import { rawJsonMember } from './support/rawJsonMember.js';

/** POST /v1/webhooks/send: queue one payload for one endpoint; 202 once it is in the log. */
export function webhookRoutes(deps: RouteDeps): Router<ApiState> {
  const router = new Router<ApiState>();
  const now = clockOf(deps);
  defineRoute(
    router,
    deps.openapi,
    {
      method: 'post',
      path: '/v1/webhooks/send',
      summary: 'Send a webhook',
      description: 'Stores the message durably and returns at once; delivery is asynchronous. An idempotency_key seen before returns the original message.',
      tags: ['messages'],
      body: sendBody,
      responses: {
        202: { description: 'Queued (or, for a repeated idempotency key, the original message)', schema: successEnvelope(messageRef) },
        400: { description: 'INVALID_REQUEST, PAYLOAD_TOO_LARGE, INVALID_HEADERS, ENDPOINT_NOT_FOUND' },
        409: { description: 'IDEMPOTENCY_MISMATCH (same key, other payload) or IDEMPOTENCY_CONFLICT (same key, other endpoint)' },
      },
    },
    async (ctx, { body, rawBody, auth }) => {
      // Delivered byte-exact: the payload's text as sent, not a re-serialisation.
      const payload = rawBody === undefined ? undefined : rawJsonMember(rawBody, 'payload');
      if (payload === undefined) throw apiErrors.invalidRequest('payload is required');
      if (Buffer.byteLength(payload, 'utf8') > PAYLOAD_LIMIT_BYTES) throw apiErrors.payloadTooLarge();
      const headers = body.headers ?? {};
      checkCustomHeaders(headers);
      const result = await sendWebhook(deps.store, deps.policy, {
        project_id: auth.project_id,
        endpoint_id: body.endpoint_id,
        payload,
        headers,
        ...(body.idempotency_key === undefined ? {} : { idempotency_key: body.idempotency_key }),
        ...(body.retention_hours === undefined ? {} : { retention_hours: body.retention_hours }),
        now: now(),
        metadata: metadataOf(ctx, auth),
      });
      respond(ctx, 202, { message_id: result.message_id, status: result.status });
    },
  );
  return router;
}
