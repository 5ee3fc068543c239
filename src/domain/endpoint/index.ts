export * from './events.js';
export * from './state.js';
export * from './decide.js';

import { decideEndpoint } from './decide.js';
import { evolveEndpoint, initialEndpointState } from './state.js';

/** The endpoint decider as one value. */
export const endpointDecider = { initialState: initialEndpointState, evolve: evolveEndpoint, decide: decideEndpoint } as const;
