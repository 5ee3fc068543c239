export * from './events.js';
export * from './state.js';
export * from './decide.js';

import { decideIdempotency } from './decide.js';
import { evolveIdempotency, initialIdempotencyState } from './state.js';

/** The idempotency-claim decider as one value. */
export const idempotencyDecider = { initialState: initialIdempotencyState, evolve: evolveIdempotency, decide: decideIdempotency } as const;
