/**
 * Case (a), the framework ceiling: bare Koa + @koa/router answering a small JSON, no
 * auth, no logging, no store. Listens on PORT (127.0.0.1) and prints "listening" once up.
 */
import Router from '@koa/router';
import Koa from 'koa';
import { listenAndAnnounce } from './listen.js';

const app = new Koa();
const router = new Router();
router.post('/v1/ping/:id', (ctx) => {
  ctx.status = 200;
  ctx.body = { data: { id: ctx.params.id, status: 'ok' }, meta: { request_id: 'req_static' } };
});
app.use(router.routes());
listenAndAnnounce(app.callback());
