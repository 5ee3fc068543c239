import { z } from 'zod';
import { EventDecodeError } from './errors.js';
import { compileCheck, type Check } from './schemaCheck.js';

/**
 * Building blocks shared by every aggregate's event schemas. Event data is JSON-safe:
 * snake_case keys, ISO-8601 strings for times, no Date, no bigint. Every event's data
 * carries its schema version in `v`; a decoder knows which versions it reads (and would
 * upcast older ones to the current shape when a v2 appears).
 */
export const isoTime = z.iso.datetime({ offset: true });
export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256');
export const headerMap = z.record(z.string(), z.string());
export const nonNegativeInt = z.number().int().nonnegative();
export const positiveInt = z.number().int().positive();

/** A typed event as the domain sees it: a PascalCase type and its data. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/** What a decoder needs of an event read from the store (RecordedEvent satisfies it). */
export interface RecordedLike {
  readonly type: string;
  readonly data: unknown;
  readonly stream: string;
  readonly revision: bigint | number;
}

type SchemaMap = Record<string, z.ZodType>;
export type EventsOf<M extends SchemaMap> = { [K in keyof M & string]: DomainEvent<K, z.infer<M[K]>> }[keyof M & string];

/**
 * A decoder for one registry of event schemas. Unknown types, unknown versions and data
 * failing the schema all become an EventDecodeError naming the stream and revision.
 */
export function makeDecoder<M extends SchemaMap>(schemas: M): (recorded: RecordedLike) => EventsOf<M> {
  // The checks derived from the schemas (schemaCheck.ts): data they pass is returned as read,
  // without zod's copy; anything else goes through zod, which decides and words the error.
  const checks = new Map<string, Check>();
  for (const [type, schema] of Object.entries(schemas)) {
    const check = compileCheck(schema);
    if (check !== undefined) checks.set(type, check);
  }
  return (recorded) => {
    if (checks.get(recorded.type)?.(recorded.data) === true) return { type: recorded.type, data: recorded.data } as EventsOf<M>;
    const revision = BigInt(recorded.revision);
    const schema = Object.hasOwn(schemas, recorded.type) ? schemas[recorded.type] : undefined;
    if (!schema) throw new EventDecodeError(recorded.stream, revision, recorded.type, 'unknown event type');
    const parsed = schema.safeParse(recorded.data);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(data)'}: ${i.message}`).join('; ');
      throw new EventDecodeError(recorded.stream, revision, recorded.type, issues);
    }
    return { type: recorded.type, data: parsed.data } as EventsOf<M>;
  };
}
