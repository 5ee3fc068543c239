import { z } from 'zod';
import { isoTime, makeDecoder, sha256Hex, type EventsOf } from '../schema.js';

/**
 * The project (tenant) aggregate's events (stream `project-<proj_id>`). An API key is
 * stored as its SHA-256 and its display prefix: the key itself is shown once, by the API,
 * and is NEVER in an event.
 */
const v1 = z.literal(1);

export const API_KEY_PREFIX_LENGTH = 11;

export const projectEventSchemas = {
  ProjectCreated: z.object({
    v: v1,
    project_id: z.string().min(1),
    name: z.string(),
    created_at: isoTime,
  }),
  ApiKeyCreated: z.object({
    v: v1,
    project_id: z.string().min(1),
    key_id: z.string().min(1),
    /** The first 11 characters of the key, e.g. `hb_live_abc`. */
    prefix: z.string().min(1).max(API_KEY_PREFIX_LENGTH),
    key_sha256: sha256Hex,
    label: z.string().optional(),
    created_at: isoTime,
  }),
  ApiKeyDeleted: z.object({
    v: v1,
    project_id: z.string().min(1),
    key_id: z.string().min(1),
    deleted_at: isoTime,
  }),
} as const;

export type ProjectEvent = EventsOf<typeof projectEventSchemas>;
export type ProjectEventType = ProjectEvent['type'];
export type ProjectEventData<T extends ProjectEventType> = Extract<ProjectEvent, { type: T }>['data'];

export const projectEventTypes = Object.keys(projectEventSchemas) as ProjectEventType[];
export const decodeProjectEvent = makeDecoder(projectEventSchemas);
