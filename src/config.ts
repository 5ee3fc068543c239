import { z } from 'zod';

/**
 * Every environment variable the service reads, parsed once at start-up. A bad value
 * stops the process with a message naming the variable (see loadConfig).
 * .env.example lists the same variables with their defaults.
 */
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const durationList = z
  .string()
  .regex(/^\s*\d+\s*(,\s*\d+\s*)*$/, 'a comma-separated list of whole seconds, e.g. 30,60,120')
  .transform((s) => s.split(',').map((v) => Number(v.trim())));

export const roles = ['api', 'scheduler', 'projector'] as const;
export type Role = (typeof roles)[number];

export const configSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Set: use EventStoreDB (esdb://...). Unset: the embedded SQLite store under DATA_DIR. */
  EVENTSTORE_CONNECTION_STRING: z.string().regex(/^esdb(\+discover)?:\/\//, 'must start with esdb:// or esdb+discover://').optional(),
  /** Which parts run in this process: all of them by default. */
  ROLE: z
    .string()
    .default('api,scheduler,projector')
    .transform((s) => s.split(',').map((r) => r.trim()).filter(Boolean))
    .pipe(z.array(z.enum(roles)).min(1)),
  SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  /** How long an API call waits on the store before answering 503 SERVICE_UNAVAILABLE. */
  STORE_TIMEOUT_MS: int(100, 60_000).default(5000),
  /** Use this key for the default project on an empty store instead of generating one. */
  BOOTSTRAP_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Development switch: allow endpoints on loopback and private addresses. */
  ALLOW_PRIVATE_ENDPOINTS: bool.default(false),
  SCHEDULER_POLL_MS: int(10, 600_000).default(1000),
  RETRY_SCHEDULE_FAST: durationList.default([30, 60, 120, 240, 300]),
  RETRY_SCHEDULE_SLOW: durationList.default([1800, 7200, 21600, 43200, 86400, 172800, 259200, 345600]),
  MAX_ATTEMPTS: int(1, 100).default(8),
  /** Largest delay a receiver's Retry-After can impose, in seconds. */
  RETRY_AFTER_CAP_SECONDS: int(0, 7 * 86400).default(86400),
  DELIVERY_TIMEOUT_MS: int(100, 300_000).default(15_000),
  DELIVERY_CONNECT_TIMEOUT_MS: int(100, 60_000).default(5000),
  DELIVERY_CONCURRENCY: int(1, 10_000).default(256),
  ENDPOINT_CONCURRENCY: int(1, 1000).default(16),
  /** How long a started attempt is leased to its scheduler before it counts as abandoned. */
  LEASE_MS: int(1000, 3_600_000).default(60_000),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
}).refine((c) => c.LEASE_MS > c.DELIVERY_TIMEOUT_MS, {
  // A lease shorter than an attempt would let another scheduler start the same message while it is still being delivered.
  message: 'must be greater than DELIVERY_TIMEOUT_MS',
  path: ['LEASE_MS'],
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}
