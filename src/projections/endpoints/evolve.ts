import type { EndpointEvent } from '../../domain/endpoint/events.js';
import { ms } from '../projection.js';

/**
 * endpoints: what the API lists and shows, and what due() joins to leave paused endpoints
 * out. Signing secrets are NOT here: the scheduler loads them from the endpoint aggregate.
 */
export interface EndpointRow {
  readonly endpoint_id: string;
  readonly project_id: string;
  readonly url: string;
  readonly description: string;
  readonly paused: boolean;
  readonly rate_limit_rps: number;
  readonly burst: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly deleted: boolean;
  /** ms epoch. */
  readonly created_at: number;
  readonly updated_at: number;
}

export function evolveEndpointRow(row: EndpointRow | null, event: EndpointEvent): EndpointRow | null {
  if (event.type === 'EndpointCreated') {
    const d = event.data;
    const at = ms(d.created_at);
    return {
      endpoint_id: d.endpoint_id, project_id: d.project_id, url: d.url, description: d.description, paused: false,
      rate_limit_rps: d.rate_limit_rps, burst: d.burst, headers: d.headers, deleted: false, created_at: at, updated_at: at,
    };
  }
  if (row === null) return null;
  switch (event.type) {
    case 'EndpointUpdated': {
      const c = event.data.changes;
      return {
        ...row,
        ...(c.url === undefined ? {} : { url: c.url }),
        ...(c.description === undefined ? {} : { description: c.description }),
        ...(c.headers === undefined ? {} : { headers: c.headers }),
        ...(c.rate_limit_rps === undefined ? {} : { rate_limit_rps: c.rate_limit_rps }),
        ...(c.burst === undefined ? {} : { burst: c.burst }),
        updated_at: ms(event.data.updated_at),
      };
    }
    case 'EndpointPaused':
      return { ...row, paused: true, updated_at: ms(event.data.paused_at) };
    case 'EndpointResumed':
      return { ...row, paused: false, updated_at: ms(event.data.resumed_at) };
    case 'EndpointDeleted':
      return { ...row, deleted: true, updated_at: ms(event.data.deleted_at) };
    case 'SigningKeyCreated':
    case 'SigningKeyDeleted':
      return row; // secrets stay out of the read model
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
