import { messageDecider, type RetryPolicy } from '../domain/index.js';

type MessageDecider = ReturnType<typeof messageDecider>;

const deciders = new WeakMap<RetryPolicy, MessageDecider>();

/**
 * The message decider of a policy, built once per policy: messageDecider() makes a new
 * object and closure on every call, and the commands asked for one on every request.
 */
export function messageDeciderFor(policy: RetryPolicy): MessageDecider {
  let decider = deciders.get(policy);
  if (decider === undefined) {
    decider = messageDecider(policy);
    deciders.set(policy, decider);
  }
  return decider;
}
