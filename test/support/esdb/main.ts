/**
 * Runs the gRPC test server as its own process, for end-to-end tests that start service
 * processes against it: `node --import tsx test/support/esdb/main.ts [--port N] [--batch-append]`
 * (one process, so its pid is the one to signal; `npx tsx ...` adds a wrapper process).
 * Prints one JSON line `{"port":N,"connectionString":"esdb://127.0.0.1:N?tls=false"}`
 * once it listens; SIGTERM or SIGINT stops it. The log lives as long as the process.
 */
import { parseArgs } from 'node:util';
import { startEsdbTestServer } from './testServer.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'batch-append': { type: 'boolean', default: false },
  },
});

const server = await startEsdbTestServer({ batchAppend: values['batch-append'], port: Number(values.port) });
process.stdout.write(`${JSON.stringify({ port: server.port, connectionString: server.connectionString })}\n`);

const shutdown = (): void => {
  void server.stop().then(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
