import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { AnyDomainEvent } from '../../../src/domain/events.js';
import type { EventStore } from '../../../src/eventstore/port.js';
import { streamOf } from './events.js';

export const silentLogger = pino({ level: 'silent' });

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ledgerhook-projections-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let ids = 0;
/** Appends each event to its stream (one append per event); returns the last position. */
export async function appendAll(store: EventStore, events: readonly AnyDomainEvent[]): Promise<bigint> {
  let last = 0n;
  for (const event of events) {
    ids += 1;
    const id = `00000000-0000-4000-8000-${ids.toString(16).padStart(12, '0')}`;
    const result = await store.append(streamOf(event), [{ id, type: event.type, data: event.data }]);
    last = result.position;
  }
  return last;
}
