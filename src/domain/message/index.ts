export * from './events.js';
export * from './state.js';
export * from './decide.js';

import type { RetryPolicy } from '../retryPolicy.js';
import type { MessageCommand } from './decide.js';
import { decideMessage } from './decide.js';
import type { MessageEvent } from './events.js';
import { evolveMessage, initialMessageState, type MessageState } from './state.js';

export interface MessageDecider {
  readonly initialState: () => MessageState;
  readonly evolve: (state: MessageState, event: MessageEvent) => MessageState;
  readonly decide: (command: MessageCommand, state: MessageState) => MessageEvent[];
}

const deciders = new WeakMap<RetryPolicy, MessageDecider>();

/**
 * The message decider as one value, bound to a retry policy: built once per policy object,
 * since the API and the scheduler ask for it on every command (a new object and closure per
 * request otherwise). Its evolve is the same function for every policy.
 */
export function messageDecider(policy: RetryPolicy): MessageDecider {
  let decider = deciders.get(policy);
  if (decider === undefined) {
    decider = {
      initialState: initialMessageState,
      evolve: evolveMessage,
      decide: (command, state) => decideMessage(command, state, policy),
    };
    deciders.set(policy, decider);
  }
  return decider;
}
