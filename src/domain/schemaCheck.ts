import type { z } from 'zod';

/**
 * A validate-only check DERIVED from a zod schema (read from its definition, never written
 * by hand), for the decode path the projections run per event: zod's parse copies every
 * event's data, and a rebuild decodes millions of them.
 *
 * The check answers true only when zod would certainly accept the value AND return an equal
 * one (no key it would strip, no transform, no default), so the decoder may hand out the
 * data as read. Anything it is not sure about answers false and the decoder runs zod, which
 * then decides and words the error: a schema part it does not know (compileCheck returns
 * undefined for the whole schema), a string near a code-point bound, an unexpected key.
 * So the zod schemas stay the single description of the events; test/domain checks the
 * two agree over random data.
 */
export type Check = (value: unknown) => boolean;

interface Def {
  readonly type: string;
  readonly [key: string]: unknown;
}
interface CheckDef {
  readonly check?: string;
  readonly when?: unknown;
  readonly [key: string]: unknown;
}
interface Internals {
  readonly _zod: { readonly def: Def };
}

const defOf = (schema: unknown): Def => (schema as Internals)._zod.def;
const checkDefs = (def: Def): CheckDef[] => ((def['checks'] as Internals[] | undefined) ?? []).map((c) => c._zod.def as unknown as CheckDef);

/** JSON.parse's objects; zod's object and record accept these (and a few more, which fall back to zod). */
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

const hasOwn = (value: object, key: string): boolean => Object.hasOwn(value, key);

function stringCheck(def: Def): Check | undefined {
  const tests: ((s: string) => boolean)[] = [];
  if (def['format'] !== undefined) {
    // A format whose whole check is its pattern (zod's $ZodCheckStringFormat); others (url, email, ...) have their own.
    if (def['format'] !== 'datetime' || !(def['pattern'] instanceof RegExp) || def['check'] !== 'string_format') return undefined;
    const pattern = def['pattern'];
    tests.push((s) => {
      pattern.lastIndex = 0;
      return pattern.test(s);
    });
  }
  for (const c of checkDefs(def)) {
    switch (c.check) {
      case 'min_length': {
        const min = c['minimum'];
        if (typeof min !== 'number') return undefined;
        // zod counts code points: at least 2*min UTF-16 units always clears the floor; in between, let zod count.
        tests.push((s) => s.length >= 2 * min);
        break;
      }
      case 'string_format': {
        const pattern = c['pattern'];
        if (c['format'] !== 'regex' || !(pattern instanceof RegExp) || c.when !== undefined) return undefined;
        tests.push((s) => {
          pattern.lastIndex = 0;
          return pattern.test(s);
        });
        break;
      }
      default:
        return undefined;
    }
  }
  return (value) => {
    if (typeof value !== 'string') return false;
    for (const test of tests) if (!test(value)) return false;
    return true;
  };
}

function numberCheck(def: Def): Check | undefined {
  // z.int(), z.uint32(), z.float32() and the like carry their rule on the schema itself, not
  // in its checks: not derived here, so zod decodes them.
  if (def['format'] !== undefined || def['check'] !== undefined) return undefined;
  const tests: ((n: number) => boolean)[] = [];
  for (const c of checkDefs(def)) {
    if (c.when !== undefined) return undefined;
    const bound = c['value'];
    switch (c.check) {
      case 'number_format':
        if (c['format'] !== 'safeint') return undefined;
        tests.push((n) => Number.isSafeInteger(n));
        break;
      case 'greater_than':
        if (typeof bound !== 'number') return undefined;
        tests.push(c['inclusive'] === true ? (n) => n >= bound : (n) => n > bound);
        break;
      case 'less_than':
        if (typeof bound !== 'number') return undefined;
        tests.push(c['inclusive'] === true ? (n) => n <= bound : (n) => n < bound);
        break;
      default:
        return undefined;
    }
  }
  return (value) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return false;
    for (const test of tests) if (!test(value)) return false;
    return true;
  };
}

function objectCheck(def: Def): Check | undefined {
  if (def['catchall'] !== undefined || checkDefs(def).length > 0) return undefined;
  const fields: { key: string; check: Check; optional: boolean }[] = [];
  for (const [key, schema] of Object.entries(def['shape'] as Record<string, unknown>)) {
    const inner = defOf(schema);
    const optional = inner.type === 'optional';
    const check = compileCheck((optional ? inner['innerType'] : schema) as z.ZodType);
    if (check === undefined || (optional && checkDefs(inner).length > 0)) return undefined;
    fields.push({ key, check, optional });
  }
  return (value) => {
    if (!isPlainObject(value)) return false;
    let present = 0;
    for (const { key, check, optional } of fields) {
      const field = value[key];
      if (field === undefined) {
        if (!optional || hasOwn(value, key)) return false; // a key holding undefined: let zod decide what it keeps
        continue;
      }
      if (!check(field)) return false;
      present += 1;
    }
    // A key the schema does not name would be stripped by zod: not the same value any more.
    // Object.keys counts the own enumerable string keys, as a for-in filtered by hasOwn would,
    // in a quarter of the time (V8 copies the object's enum cache).
    return Object.keys(value).length === present;
  };
}

function recordCheck(def: Def): Check | undefined {
  const key = defOf(def['keyType']);
  if (key.type !== 'string' || key['format'] !== undefined || checkDefs(key).length > 0) return undefined;
  const check = compileCheck(def['valueType'] as z.ZodType);
  if (check === undefined) return undefined;
  return (value) => {
    if (!isPlainObject(value)) return false;
    for (const k in value) {
      if (k === '__proto__' || !check(value[k])) return false;
    }
    return true;
  };
}

/** The check for a schema, or undefined when any part of it is beyond what this derives (zod then decodes it). */
export function compileCheck(schema: z.ZodType): Check | undefined {
  const def = defOf(schema);
  if (def['coerce'] === true) return undefined;
  switch (def.type) {
    case 'string':
      return stringCheck(def);
    case 'number':
      return numberCheck(def);
    case 'boolean':
      return checkDefs(def).length === 0 ? (value) => typeof value === 'boolean' : undefined;
    case 'literal': {
      const values = new Set(def['values'] as readonly unknown[]);
      return checkDefs(def).length === 0 ? (value) => values.has(value) : undefined;
    }
    case 'enum': {
      const values = new Set(Object.values(def['entries'] as Record<string, unknown>));
      return checkDefs(def).length === 0 ? (value) => values.has(value) : undefined;
    }
    case 'object':
      return objectCheck(def);
    case 'record':
      return checkDefs(def).length === 0 && def['mode'] === undefined ? recordCheck(def) : undefined;
    default:
      return undefined;
  }
}
