import { createLogger, flushLogger } from './api/index.js';
import { ConfigError, loadConfig } from './config.js';
import { startService } from './compose/service.js';

// `npm start`: parse the environment once, start the roles it names, stop cleanly on
// SIGTERM/SIGINT (in-flight work gets SHUTDOWN_GRACE_MS), exit non-zero on a bad config.
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL });
  const service = await startService(config, { logger, announce: (line) => process.stdout.write(`${line}\n`) });
  let signalled = false;
  const shutdown = (signal: string): void => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        // The log is asynchronous: exit once this last line is out.
        void flushLogger(logger).then(() => process.exit(1));
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error('ledgerhook failed to start:', error);
  process.exit(1);
});
