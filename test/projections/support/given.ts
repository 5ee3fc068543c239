import { expect } from 'vitest';

/** Given/when/then for a projection's evolve: given past events, when one more, then this row. */
export function evolveSpec<Row, E>(evolve: (row: Row | null, event: E) => Row | null) {
  return (...given: E[]) => ({
    when: (event: E) => ({
      then: (expected: Row | null) => expect(evolve(given.reduce<Row | null>(evolve, null), event)).toEqual(expected),
      row: () => evolve(given.reduce<Row | null>(evolve, null), event),
    }),
  });
}
