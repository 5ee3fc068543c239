import type { DomainEvent, RecordedLike } from '../domain/schema.js';
import { WrongExpectedVersionError } from '../eventstore/errors.js';
import type { EventStore, EventToAppend } from '../eventstore/port.js';
import { aggregateCacheOf, type AggregateCache } from './aggregateCache.js';
import { newEventId } from './ids.js';

/**
 * The one way a command reaches the log: load the stream, fold it, decide, append with
 * the expected revision. On a conflict (someone appended in between) it reloads and
 * decides again, but only when the caller says the decision is retry-safe (deciding again
 * against newer state is correct, e.g. retry-now, which then sees its own expedite and
 * writes nothing). Otherwise the conflict goes back to the caller (the scheduler reads a
 * lost claim as "someone else has it").
 *
 * The fold is kept in memory after each load and append (aggregateCache.ts), so the next
 * command on the stream decides without reading it. That first decision is a guess: it
 * stands only if the append expecting the cached revision succeeds. A guess that conflicts,
 * decides nothing or is refused is decided again on a fresh read, without counting as a
 * try, so callers see exactly what they saw without the cache.
 */
export interface Decider<C, E extends DomainEvent, S> {
  readonly initialState: () => S;
  readonly evolve: (state: S, event: E) => S;
  readonly decide: (command: C, state: S) => E[];
}

/** What auditors need on every event (DESIGN.md). */
export interface CommandMetadata {
  /** `req_<ulid>` of the API request, when there is one. */
  readonly request_id?: string;
  /** API key id, `scheduler:<instance>`, or `ops:<who>`. */
  readonly actor: string;
  /** Defaults to request_id. */
  readonly correlation_id?: string;
  /** Defaults to request_id. */
  readonly causation_id?: string;
}

export interface LoadedAggregate<S> {
  readonly state: S;
  /** Revision of the last event, or 'no_stream': the expected revision for the next append. */
  readonly revision: bigint | 'no_stream';
}

export interface HandleOptions<C, E extends DomainEvent, S> {
  readonly store: EventStore;
  readonly stream: string;
  readonly decider: Decider<C, E, S>;
  /** Turns a stored event into a typed one; throws EventDecodeError on a bad one. */
  readonly decode: (recorded: RecordedLike) => E;
  readonly command: C;
  readonly metadata: CommandMetadata;
  /** Reload and decide again on a WrongExpectedVersionError. Default false. */
  readonly retryOnConflict?: boolean;
  /** Attempts in all when retrying on conflict. Default 5. */
  readonly maxTries?: number;
  /** Event id generator; default newEventId (a UUIDv7). */
  readonly newId?: () => string;
  /**
   * The stream's id was just generated for this command (a new message): the first guess is
   * the initial state at 'no_stream', without a read. Were the stream there after all, the
   * append's conflict sends the command to a fresh read like any stale guess.
   */
  readonly newStream?: boolean;
}

export interface HandleResult<E, S> {
  /** The events this command appended (none when the decision was a no-op). */
  readonly events: readonly E[];
  /** The state after them. */
  readonly state: S;
  readonly revision: bigint | 'no_stream';
}

/**
 * Reads and folds one stream. A missing stream is the initial state at 'no_stream'. The
 * read always happens (a caller here may act on what it sees without appending); only the
 * decode and fold are skipped when the cache holds the fold of the revision just read.
 */
export async function loadAggregate<E extends DomainEvent, S>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<unknown, E, S>, 'initialState' | 'evolve'>,
  decode: (recorded: RecordedLike) => E,
): Promise<LoadedAggregate<S>> {
  const loaded = await readAndFold(store, stream, decider, decode);
  keepFreshFold(aggregateCacheOf(store), stream, decider.evolve, loaded);
  return loaded;
}

/** loadAggregate without keeping the fold: `folded` says whether there is a new one to keep. */
async function readAndFold<E extends DomainEvent, S>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<unknown, E, S>, 'initialState' | 'evolve'>,
  decode: (recorded: RecordedLike) => E,
): Promise<LoadedAggregate<S> & { readonly folded: boolean }> {
  const recorded = await store.readStream(stream);
  const last = recorded.at(-1);
  if (last === undefined) return { state: decider.initialState(), revision: 'no_stream', folded: false };
  const cached = aggregateCacheOf(store).get<S>(stream, decider.evolve);
  if (cached !== undefined && cached.revision === last.revision) return { state: cached.state, revision: cached.revision, folded: false };
  let state = decider.initialState();
  for (const r of recorded) state = decider.evolve(state, decode(r));
  return { state, revision: last.revision, folded: true };
}

/** Gives each event a fresh id and the audit metadata. */
export function toEventsToAppend<E extends DomainEvent>(events: readonly E[], metadata: CommandMetadata, newId: () => string = newEventId): EventToAppend[] {
  // Built field by field (no spreads): this runs for every command, and the key order is the one auditors read.
  const meta: Record<string, string> = {};
  if (metadata.request_id !== undefined) meta['request_id'] = metadata.request_id;
  meta['actor'] = metadata.actor;
  const correlation = metadata.correlation_id ?? metadata.request_id;
  if (correlation !== undefined) meta['correlation_id'] = correlation;
  const causation = metadata.causation_id ?? metadata.request_id;
  if (causation !== undefined) meta['causation_id'] = causation;
  return events.map((event) => ({ id: newId(), type: event.type, data: event.data, metadata: meta }));
}

export async function handleCommand<C, E extends DomainEvent, S>(options: HandleOptions<C, E, S>): Promise<HandleResult<E, S>> {
  const { store, stream, decider, decode, command, metadata } = options;
  const maxTries = options.retryOnConflict ? Math.max(1, options.maxTries ?? 5) : 1;
  const cache = aggregateCacheOf(store);
  let guess = firstGuess(cache, options);
  for (let attempt = 1; ; ) {
    const guessed = guess !== undefined;
    // A fresh fold is kept once: after the append, or at once when nothing is appended. Keeping
    // it straight after the read too cost a second size walk and map update per command.
    const loaded = guess ?? (await readAndFold(store, stream, decider, decode));
    guess = undefined;
    let events: E[];
    try {
      events = decider.decide(command, loaded.state);
    } catch (error) {
      if (guessed) continue; // the refusal may be the stale state's: decide on a fresh read
      keepFreshFold(cache, stream, decider.evolve, loaded);
      throw error;
    }
    const state = events.reduce(decider.evolve, loaded.state);
    if (events.length === 0) {
      if (guessed) continue; // nothing to write means nothing proves the guess current
      keepFreshFold(cache, stream, decider.evolve, loaded);
      return { events, state, revision: loaded.revision };
    }
    try {
      const result = await store.append(stream, toEventsToAppend(events, metadata, options.newId), { expectedRevision: loaded.revision });
      cache.set(stream, decider.evolve, result.nextExpectedRevision, state);
      return { events, state, revision: result.nextExpectedRevision };
    } catch (error) {
      // Whatever went wrong, the stream may now be past what is kept (a timed-out append may have committed).
      cache.delete(stream);
      if (guessed && error instanceof WrongExpectedVersionError) continue;
      if (!(error instanceof WrongExpectedVersionError) || attempt >= maxTries) throw error;
      attempt += 1;
    }
  }
}

/** Keeps a fold just read from the stream (not one taken from the cache, nor an empty stream's). */
function keepFreshFold<S>(cache: AggregateCache, stream: string, evolve: unknown, loaded: LoadedAggregate<S> & { readonly folded?: boolean }): void {
  if (loaded.folded === true && loaded.revision !== 'no_stream') cache.set(stream, evolve, loaded.revision, loaded.state);
}

function firstGuess<C, E extends DomainEvent, S>(cache: AggregateCache, options: HandleOptions<C, E, S>): LoadedAggregate<S> | undefined {
  if (options.newStream === true) return { state: options.decider.initialState(), revision: 'no_stream' };
  const cached = cache.get<S>(options.stream, options.decider.evolve);
  return cached === undefined ? undefined : { state: cached.state, revision: cached.revision };
}
