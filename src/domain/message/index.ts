export * from './events.js';
export * from './state.js';
export * from './decide.js';

import type { RetryPolicy } from '../retryPolicy.js';
import type { MessageCommand } from './decide.js';
import { decideMessage } from './decide.js';
import type { MessageEvent } from './events.js';
import { evolveMessage, initialMessageState, type MessageState } from './state.js';

/** The message decider as one value, bound to a retry policy. */
export const messageDecider = (policy: RetryPolicy) => ({
  initialState: initialMessageState,
  evolve: evolveMessage,
  decide: (command: MessageCommand, state: MessageState): MessageEvent[] => decideMessage(command, state, policy),
});
