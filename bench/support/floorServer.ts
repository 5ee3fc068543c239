/**
 * Case (e), the store floor: the least any retry-now on the embedded store can cost. Per
 * request, a bare Koa + @koa/router route reads the message's stream through the SQLite
 * adapter and appends one RetryExpedited event with its expected revision (FULL
 * durability, the adapter's group commit), then answers a small JSON. No auth, no
 * logging, no validation, no domain fold, no read models: every one of those adds to (c),
 * so (c) cannot beat this, and e/a bounds what c/a can reach on this machine.
 *
 * Env: PORT, FLOOR_FILE (a store file seeded with pending_retry messages).
 */
import Router from '@koa/router';
import Koa from 'koa';
import { newEventId } from '../../src/commands/ids.js';
import { messageStream } from '../../src/domain/streams.js';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.js';
import { listenAndAnnounce } from './listen.js';

const file = process.env.FLOOR_FILE;
if (file === undefined) throw new Error('FLOOR_FILE is required');
const store = openSqliteEventStore({ file, synchronous: 'FULL' });

const app = new Koa();
const router = new Router();
router.post('/v1/floor/:id/retry-now', async (ctx) => {
  const id = ctx.params.id ?? '';
  const stream = messageStream(id);
  const events = await store.readStream(stream);
  const last = events[events.length - 1];
  if (last === undefined) {
    ctx.status = 404;
    ctx.body = { error: { code: 'NOT_FOUND' } };
    return;
  }
  const data = { v: 1, message_id: id, expedited_at: new Date().toISOString() };
  await store.append(stream, [{ id: newEventId(), type: 'RetryExpedited', data, metadata: { actor: 'bench:floor' } }], { expectedRevision: last.revision });
  ctx.status = 200;
  ctx.body = { message: 'Retry scheduled for immediate pickup', data: { message_id: id, status: 'pending_retry' } };
});
app.use(router.routes());
listenAndAnnounce(app.callback(), () => void store.close());
