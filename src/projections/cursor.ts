/**
 * Opaque page cursors: base64url of JSON `{ ts, id }` (the last item's sort time in ms and
 * its id). Lists are newest first, so the next page holds items strictly "before" it.
 */
export interface CursorKey {
  readonly ts: number;
  readonly id: string;
}

export const encodeCursor = (key: CursorKey): string => Buffer.from(JSON.stringify({ ts: key.ts, id: key.id }), 'utf8').toString('base64url');

/** The key, or null for a cursor we did not issue (the API answers 400). */
export function decodeCursor(cursor: string): CursorKey | null {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const { ts, id } = value as Record<string, unknown>;
    return typeof ts === 'number' && Number.isFinite(ts) && typeof id === 'string' ? { ts, id } : null;
  } catch {
    return null;
  }
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor() {
    super('Invalid cursor');
  }
}

export interface Page<T> {
  readonly items: T[];
  /** null on the last page. */
  readonly next_cursor: string | null;
  readonly has_more: boolean;
}

/** Turns limit+1 fetched rows into a page. */
export function toPage<R, T>(rows: R[], limit: number, key: (row: R) => CursorKey, map: (row: R) => T): Page<T> {
  const has_more = rows.length > limit;
  const kept = has_more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(map), next_cursor: has_more && last !== undefined ? encodeCursor(key(last)) : null, has_more };
}
