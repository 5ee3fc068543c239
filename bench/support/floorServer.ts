/**
 * Cases (e) and (f), the store floor: the least a retry-now or a send on the embedded store
 * can cost.
 *
 * (e) retry-now. Per
 * request, a bare Koa + @koa/router route reads the message's stream through the SQLite
 * adapter and appends one RetryExpedited event with its expected revision (FULL
 * durability, the adapter's group commit), then answers a small JSON. No auth, no
 * logging, no validation, no domain fold, no read models: every one of those adds to (c),
 * so (c) cannot beat this, and e/a bounds what c/a can reach on this machine.
 *
 * (f) send. Per request, the route reads the JSON body (a 1 KB payload, as (d) sends),
 * parses it and appends one MessageQueued event to a new message stream (the adapter's
 * group commit, FULL durability), then answers 202. It skips auth, validation, hashing,
 * idempotency and the read models a real send also pays for, so f/a bounds d/a.
 *
 * Env: PORT, FLOOR_FILE (a store file seeded with pending_retry messages).
 */
import Router from '@koa/router';
import Koa from 'koa';
import { newEventId, newUuidV7 } from '../../src/commands/ids.js';
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
router.post('/v1/floor/send', async (ctx) => {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { endpoint_id?: string; payload?: unknown };
  const id = newUuidV7();
  const data = { v: 1, message_id: id, endpoint_id: body.endpoint_id, payload: JSON.stringify(body.payload), queued_at: new Date().toISOString() };
  await store.append(messageStream(id), [{ id: newEventId(), type: 'MessageQueued', data, metadata: { actor: 'bench:floor' } }], { expectedRevision: 'no_stream' });
  ctx.status = 202;
  ctx.body = { message: 'Webhook queued for delivery', data: { message_id: id, status: 'queued' } };
});
app.use(router.routes());
listenAndAnnounce(app.callback(), () => void store.close());
