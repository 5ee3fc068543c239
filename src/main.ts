import { mkdirSync } from 'node:fs';
import http from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.js';

// Composition root. Placeholder until the store, API, projections and scheduler land:
// parses config, prepares DATA_DIR and answers GET /health.
function main(): void {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = pino({ level: config.LOG_LEVEL });
  mkdirSync(config.DATA_DIR, { recursive: true });
  const app = new Koa();
  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  app.use(router.routes());
  const server = http.createServer(app.callback());
  server.listen(config.PORT, config.HOST, () => logger.info({ port: config.PORT, dataDir: config.DATA_DIR }, 'ledgerhook listening'));
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
  process.once('SIGINT', () => server.close(() => process.exit(0)));
}

main();
