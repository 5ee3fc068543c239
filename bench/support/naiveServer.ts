/**
 * Case (b), the naive event-sourced baseline: what a first event-sourced Koa route
 * looks like. Per request: read the whole stream from a plain better-sqlite3 file
 * (WAL, synchronous=FULL), fold it, decide, append one event in its own transaction
 * (one fsync per request). Same work as retry-now, none of the service's machinery.
 *
 * Env: PORT, NAIVE_FILE (a fresh file), NAIVE_STREAMS (how many pending streams to seed
 * before listening; ids are `n-<i>`).
 */
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import Database from 'better-sqlite3';
import Koa from 'koa';
import { listenAndAnnounce } from './listen.js';

const file = process.env.NAIVE_FILE;
if (file === undefined) throw new Error('NAIVE_FILE is required');
const streams = Number(process.env.NAIVE_STREAMS ?? '1000');

const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL, revision INTEGER NOT NULL,
  type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, created INTEGER NOT NULL, UNIQUE (stream, revision))`);
const insert = db.prepare('INSERT INTO events (id, stream, revision, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)');
const read = db.prepare('SELECT revision, type, data FROM events WHERE stream = ? ORDER BY revision');

// Seeding is not measured: one transaction, the same four-event history as the service's case.
db.pragma('synchronous = OFF');
db.transaction(() => {
  const at = new Date().toISOString();
  for (let i = 0; i < streams; i += 1) {
    const stream = `n-${i}`;
    insert.run(randomUUID(), stream, 0, 'Queued', JSON.stringify({ id: stream, payload: '{"n":1}', at }), '{}', Date.now());
    insert.run(randomUUID(), stream, 1, 'Started', JSON.stringify({ attempt_no: 1, at }), '{}', Date.now());
    insert.run(randomUUID(), stream, 2, 'Failed', JSON.stringify({ attempt_no: 1, status: 503, at }), '{}', Date.now());
    insert.run(randomUUID(), stream, 3, 'RetryScheduled', JSON.stringify({ next_attempt_at: at, at }), '{}', Date.now());
  }
})();
db.pragma('synchronous = FULL');

interface State { status: string; expedited: boolean }
function evolve(state: State, row: { type: string; data: string }): State {
  JSON.parse(row.data);
  switch (row.type) {
    case 'Queued': return { status: 'queued', expedited: false };
    case 'Started': return { ...state, status: 'delivering' };
    case 'Failed': return state;
    case 'RetryScheduled': return { status: 'pending_retry', expedited: false };
    case 'Expedited': return { ...state, expedited: true };
    default: return state;
  }
}

const app = new Koa();
const router = new Router();
router.post('/v1/naive/:id/retry-now', (ctx) => {
  const stream = `n-${ctx.params.id}`;
  const rows = read.all(stream) as { revision: number; type: string; data: string }[];
  const state = rows.reduce(evolve, { status: 'none', expedited: false });
  if (state.status !== 'pending_retry') {
    ctx.status = state.status === 'none' ? 404 : 400;
    ctx.body = { error: { code: state.status === 'none' ? 'NOT_FOUND' : 'INVALID_STATUS' } };
    return;
  }
  if (!state.expedited) {
    // Its own transaction: one commit (one fsync) per request.
    insert.run(randomUUID(), stream, rows.length, 'Expedited', JSON.stringify({ at: new Date().toISOString() }), JSON.stringify({ actor: 'naive' }), Date.now());
  }
  ctx.status = 200;
  ctx.body = { message: 'Retry scheduled for immediate pickup', data: { message_id: ctx.params.id, status: 'pending_retry' } };
});
app.use(router.routes());
listenAndAnnounce(app.callback(), () => db.close());
