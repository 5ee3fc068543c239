import type { EndpointEvent, SigningKey } from './events.js';

/** The endpoint aggregate's state. `exists: false`: no such stream. */
export interface EndpointState {
  readonly exists: boolean;
  readonly deleted: boolean;
  readonly endpoint_id: string;
  readonly project_id: string;
  readonly url: string;
  readonly description: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly rate_limit_rps: number;
  readonly burst: number;
  readonly paused: boolean;
  /** Active signing keys, oldest first (the scheduler signs with each). */
  readonly signing_keys: readonly SigningKey[];
}

export const initialEndpointState = (): EndpointState => ({
  exists: false,
  deleted: false,
  endpoint_id: '',
  project_id: '',
  url: '',
  description: '',
  headers: {},
  rate_limit_rps: 0,
  burst: 0,
  paused: false,
  signing_keys: [],
});

export function evolveEndpoint(state: EndpointState, event: EndpointEvent): EndpointState {
  switch (event.type) {
    case 'EndpointCreated': {
      const { endpoint_id, project_id, url, description, headers, rate_limit_rps, burst, signing_key } = event.data;
      return { ...state, exists: true, endpoint_id, project_id, url, description, headers, rate_limit_rps, burst, signing_keys: [signing_key] };
    }
    case 'EndpointUpdated':
      return { ...state, ...event.data.changes };
    case 'EndpointPaused':
      return { ...state, paused: true };
    case 'EndpointResumed':
      return { ...state, paused: false };
    case 'EndpointDeleted':
      return { ...state, deleted: true };
    case 'SigningKeyCreated':
      return { ...state, signing_keys: [...state.signing_keys, event.data.signing_key] };
    case 'SigningKeyDeleted':
      return { ...state, signing_keys: state.signing_keys.filter((k) => k.key_id !== event.data.key_id) };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
