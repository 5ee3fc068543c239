import { pino } from 'pino';
import type { DestinationStream, Level, Logger } from 'pino';
import { batchedDestination } from './batchedDestination.js';

/**
 * Paths pino censors before a line is written. Request bodies are never logged at all;
 * these cover headers and any object a caller logs that happens to hold a secret.
 */
export const redactPaths = [
  'req.headers.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'authorization',
  '*.authorization',
  'api_key',
  '*.api_key',
  'key',
  '*.key',
  'signing_secret',
  '*.signing_secret',
  'secret',
  '*.secret',
];

export interface LoggerOptions {
  level?: Level | 'silent';
  /** Where lines go; tests pass a stream to read them back. Defaults to stdout. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: { service: 'ledgerhook' },
    },
    options.destination ?? stdoutDestination(),
  );
}

/**
 * stdout written asynchronously: pino's default destination write()s every line
 * synchronously on the event loop (2.3% of a retry-now under load, BENCHMARKS.md). Lines
 * are gathered for up to 10 ms and handed to the thread pool as one write
 * (batchedDestination.ts), and `flushLogger` waits for all of them.
 * minLength 1 rather than 0 only because sonic-boom's flush(cb) calls back at once, without
 * waiting for the writes in flight, when minLength is 0; a line is never shorter than 2
 * bytes, so nothing waits for company. pino also writes what is left synchronously on
 * process exit, as a backstop, and so does the batch.
 */
function stdoutDestination(): DestinationStream {
  return batchedDestination(pino.destination({ dest: 1, sync: false, minLength: 1 }));
}

/**
 * Resolves once every line logged so far has been written (stop() calls this last, and
 * the process may exit right after). A destination without flush (a test's stream) is
 * written synchronously by pino already. A write error is not raised here: there is
 * nowhere left to report it.
 */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      resolve(); // a destroyed destination: nothing more can be written
    }
  });
}
