import { z } from 'zod';
import { headerMap, isoTime, makeDecoder, nonNegativeInt, type EventsOf } from '../schema.js';

/**
 * The endpoint aggregate's events (stream `endpoint-<ep_id>`).
 *
 * KNOWN EXPOSURE: signing secrets travel in these events (EndpointCreated,
 * SigningKeyCreated) because the scheduler must have them to sign deliveries and the log
 * is the only source of truth. Anyone who can read the log can read the secrets. To be
 * addressed with encryption at rest (an envelope key outside the log) later.
 */
const v1 = z.literal(1);

export const signingKeySchema = z.object({
  key_id: z.string().min(1),
  /** `whsec_...`, used as-is (prefix included) as the HMAC key. */
  secret: z.string().min(1),
  /** A short suffix shown to users instead of the secret. */
  key_hint: z.string(),
  created_at: isoTime,
});
export type SigningKey = z.infer<typeof signingKeySchema>;

const settings = {
  url: z.string().min(1),
  description: z.string(),
  headers: headerMap,
  /** 0 = no limit. */
  rate_limit_rps: nonNegativeInt,
  burst: nonNegativeInt,
};

export const endpointEventSchemas = {
  EndpointCreated: z.object({
    v: v1,
    endpoint_id: z.string().min(1),
    project_id: z.string().min(1),
    ...settings,
    signing_key: signingKeySchema,
    created_at: isoTime,
  }),
  /** Only the fields that changed; `headers`, when present, replaces the whole map. */
  EndpointUpdated: z.object({
    v: v1,
    endpoint_id: z.string().min(1),
    changes: z.object(settings).partial(),
    updated_at: isoTime,
  }),
  EndpointPaused: z.object({ v: v1, endpoint_id: z.string().min(1), paused_at: isoTime }),
  EndpointResumed: z.object({ v: v1, endpoint_id: z.string().min(1), resumed_at: isoTime }),
  /** Soft delete: the stream stays for audit; the endpoint no longer accepts commands. */
  EndpointDeleted: z.object({ v: v1, endpoint_id: z.string().min(1), deleted_at: isoTime }),
  SigningKeyCreated: z.object({ v: v1, endpoint_id: z.string().min(1), signing_key: signingKeySchema }),
  SigningKeyDeleted: z.object({ v: v1, endpoint_id: z.string().min(1), key_id: z.string().min(1), deleted_at: isoTime }),
} as const;

export type EndpointEvent = EventsOf<typeof endpointEventSchemas>;
export type EndpointEventType = EndpointEvent['type'];
export type EndpointEventData<T extends EndpointEventType> = Extract<EndpointEvent, { type: T }>['data'];

export const endpointEventTypes = Object.keys(endpointEventSchemas) as EndpointEventType[];
export const decodeEndpointEvent = makeDecoder(endpointEventSchemas);
