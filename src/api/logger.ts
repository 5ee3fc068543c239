import { pino } from 'pino';
import type { DestinationStream, Level, Logger } from 'pino';

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
    options.destination,
  );
}
