/**
 * Decoding a batch and folding it into projections: shared by the runner (live tables)
 * and the rebuild (side tables). Must run inside the caller's transaction.
 */
import type Database from 'better-sqlite3';
import { decodeEvent, type AnyDomainEvent } from '../domain/events.js';
import type { RecordedEvent } from '../eventstore/port.js';
import { isAfter, type Checkpoint, type CheckpointStore } from './database.js';
import type { Projection, ProjectionWriter, TableNames } from './projection.js';
import type { RowHold } from './rowCache.js';

export interface ProjectionLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DecodedEvent {
  readonly position: bigint;
  /** null: the event could not be decoded; it is logged and skipped, never retried. */
  readonly event: AnyDomainEvent | null;
}

export function decodeBatch(events: readonly RecordedEvent[], logger: ProjectionLogger): DecodedEvent[] {
  return events.map((recorded) => {
    try {
      return { position: recorded.position, event: decodeEvent(recorded) };
    } catch (error) {
      logger.warn(
        { stream: recorded.stream, revision: recorded.revision.toString(), position: recorded.position.toString(), type: recorded.type, err: error },
        'skipping an event the projections cannot decode',
      );
      return { position: recorded.position, event: null };
    }
  });
}

export interface BoundProjection {
  readonly projection: Projection;
  readonly writer: ProjectionWriter;
}

export const bindWriters = (db: Database.Database, projections: readonly Projection[], table: TableNames = (t) => t, hold?: RowHold): BoundProjection[] =>
  projections.map((projection) => ({ projection, writer: projection.writer(db, table, hold) }));

/**
 * Applies the events after each projection's checkpoint and moves it to the batch's last
 * position. Returns how many events each projection applied.
 */
export function applyBatch(
  bound: readonly BoundProjection[],
  batch: readonly DecodedEvent[],
  checkpointOf: (name: string) => Checkpoint,
  setCheckpoint: (name: string, position: bigint) => void,
): number {
  const last = batch[batch.length - 1];
  if (last === undefined) return 0;
  let applied = 0;
  for (const { projection, writer } of bound) {
    const checkpoint = checkpointOf(projection.name);
    if (!isAfter(last.position, checkpoint)) continue; // already applied (a re-delivery, or a rebuild moved it ahead)
    for (const { position, event } of batch) {
      if (event !== null && isAfter(position, checkpoint)) {
        writer.apply(event);
        applied += 1;
      }
    }
    writer.flush();
    setCheckpoint(projection.name, last.position);
  }
  return applied;
}

/** The usual pair: checkpoints read and written in the same transaction. */
export function applyWithCheckpoints(bound: readonly BoundProjection[], batch: readonly DecodedEvent[], checkpoints: CheckpointStore): number {
  const stored = checkpoints.all();
  return applyBatch(bound, batch, (name) => stored.get(name) ?? 'start', (name, position) => checkpoints.set(name, position));
}

export function discardAll(bound: readonly BoundProjection[]): void {
  for (const { writer } of bound) writer.discard();
}
