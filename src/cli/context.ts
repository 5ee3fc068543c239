import { ConfigError, loadConfig, type Config } from '../config.js';
import { openEventStore } from '../compose/openStore.js';
import type { EventStore } from '../eventstore/port.js';

/**
 * What every CLI command gets: the parsed config and a lazily opened event store, closed
 * when the command ends. The CLI reads the same environment as the service, so it works
 * on the same DATA_DIR (or EventStoreDB) while the service runs.
 */
export interface CliContext {
  readonly config: () => Config;
  readonly store: () => EventStore;
  readonly close: () => Promise<void>;
}

export function createCliContext(env: NodeJS.ProcessEnv = process.env): CliContext {
  let config: Config | undefined;
  let store: EventStore | undefined;
  const getConfig = (): Config => (config ??= loadConfig(env));
  return {
    config: getConfig,
    store: () => (store ??= openEventStore(getConfig())),
    close: async () => {
      await store?.close();
    },
  };
}

/** Prints a failure the way an operator can act on, and sets a non-zero exit code. */
export function reportCliError(error: unknown): void {
  if (error instanceof ConfigError) console.error(error.message);
  else if (error instanceof Error && 'code' in error && typeof error.code === 'string') console.error(`${error.code}: ${error.message}`);
  else console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
