export * from './events.js';
export * from './state.js';
export * from './decide.js';

import { decideProject } from './decide.js';
import { evolveProject, initialProjectState } from './state.js';

/** The project decider as one value. */
export const projectDecider = { initialState: initialProjectState, evolve: evolveProject, decide: decideProject } as const;
