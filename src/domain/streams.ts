/**
 * Stream names: the only place they are built and parsed. A stream is `<category>-<id>`;
 * projections subscribe by category prefix (the prefixes below).
 */
export const categories = ['message', 'endpoint', 'project', 'idempotency'] as const;
export type Category = (typeof categories)[number];

/** Prefixes to pass to readAll/subscribeToAll (`prefixes`). */
export const streamPrefix = {
  message: 'message-',
  endpoint: 'endpoint-',
  project: 'project-',
  idempotency: 'idempotency-',
} as const satisfies Record<Category, string>;

/** Every stream of this service, e.g. for a projection rebuilt from the whole log. */
export const allStreamPrefixes: readonly string[] = Object.values(streamPrefix);

const nonEmpty = (what: string, value: string): string => {
  if (value.length === 0) throw new Error(`${what} must not be empty`);
  return value;
};

export const messageStream = (messageId: string): string => streamPrefix.message + nonEmpty('message id', messageId);
export const endpointStream = (endpointId: string): string => streamPrefix.endpoint + nonEmpty('endpoint id', endpointId);
export const projectStream = (projectId: string): string => streamPrefix.project + nonEmpty('project id', projectId);

/**
 * The stream that claims one idempotency key within one project. The key is hashed by the
 * caller (sha256, lowercase hex) so any key, of any length or alphabet, makes a safe name;
 * the domain has no crypto.
 */
export const idempotencyStream = (projectId: string, keySha256Hex: string): string => {
  if (!/^[0-9a-f]{64}$/.test(keySha256Hex)) throw new Error('idempotency key hash must be 64 lowercase hex characters');
  return `${streamPrefix.idempotency}${nonEmpty('project id', projectId)}-${keySha256Hex}`;
};

export interface ParsedStream {
  readonly category: Category;
  /** For idempotency streams: `<proj_id>-<hash>`. */
  readonly id: string;
}

/** The category and id of one of our streams, or null for anything else (system streams, foreign ones). */
export function parseStream(stream: string): ParsedStream | null {
  for (const category of categories) {
    const prefix = streamPrefix[category];
    if (stream.startsWith(prefix) && stream.length > prefix.length) return { category, id: stream.slice(prefix.length) };
  }
  return null;
}

/** Splits an idempotency stream's id into project and key hash (the hash is the last 64 chars). */
export function parseIdempotencyId(id: string): { projectId: string; keySha256Hex: string } | null {
  const match = /^(.+)-([0-9a-f]{64})$/.exec(id);
  return match ? { projectId: match[1] as string, keySha256Hex: match[2] as string } : null;
}
