/**
 * Client events -> the port's RecordedEvent, and the one rule for what the service
 * never sees: system streams and system events (names starting with `$`), which a
 * real server keeps writing into $all (stats, users, settings, `$metadata`, links).
 */
import type { AllStreamResolvedEvent, ResolvedEvent } from '@eventstore/db-client';
import { passesFilter } from '../catchUpSubscription.js';
import type { RecordedEvent } from '../port.js';
import { fromClientPosition } from './revisions.js';

type ClientRecorded = NonNullable<ResolvedEvent['event']> | NonNullable<AllStreamResolvedEvent['event']>;

export function isSystemEvent(event: { streamId: string; type: string }): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
}

/** True when the event is not a system event and its stream matches one of the prefixes (if any). */
export function isWanted(event: { streamId: string; type: string }, prefixes: readonly string[] | undefined): boolean {
  return !isSystemEvent(event) && passesFilter(event.streamId, prefixes);
}

export function toRecordedEvent(event: ClientRecorded): RecordedEvent {
  if (!event.position) {
    // Servers from 22.6 on always send it; without it the port has no position to give.
    throw new Error(`EventStoreDB sent event ${event.id} of ${event.streamId} without a log position (server older than 22.6?)`);
  }
  const metadata = event.metadata;
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: isPlainRecord(metadata) ? metadata : {},
    stream: event.streamId,
    revision: event.revision,
    position: fromClientPosition(event.position),
    created: event.created,
  };
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
