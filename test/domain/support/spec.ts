import { expect } from 'vitest';
import { DomainError } from '../../../src/domain/errors.js';

/**
 * Given/when/then for a decider: given past events, when a command is decided, then
 * these events (or this refusal). Emmett-style, without the library.
 */
export interface Decider<C, E, S> {
  readonly initialState: () => S;
  readonly evolve: (state: S, event: E) => S;
  readonly decide: (command: C, state: S) => E[];
}

export interface Refusal {
  readonly code: string;
  readonly status: number;
  readonly message?: string;
}

export function specFor<C, E, S>(decider: Decider<C, E, S>) {
  return (given: readonly E[]) => ({
    when: (command: C) => {
      const run = () => decider.decide(command, given.reduce(decider.evolve, decider.initialState()));
      return {
        then: (expected: readonly E[]) => expect(run()).toEqual(expected),
        thenRefuses: (refusal: Refusal) => {
          let caught: unknown;
          try {
            run();
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(DomainError);
          const error = caught as DomainError;
          expect({ code: error.code, status: error.status, ...(refusal.message ? { message: error.message } : {}) }).toEqual(refusal);
        },
        /** For assertions on parts of the result. */
        events: run,
      };
    },
  });
}
