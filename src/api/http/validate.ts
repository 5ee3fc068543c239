import type { Context } from 'koa';
import type { z } from 'zod';
import { apiErrors } from './apiErrors.js';

/**
 * Edge validation: every refusal is 400 INVALID_REQUEST whose message names the field
 * and says what to send instead ("endpoint_id must be in format ep_xxx"). The first issue
 * is the message; all issues are in details.issues for callers fixing several at once.
 * Schemas should carry caller-facing messages (`.regex(re, 'must be in format ep_xxx')`);
 * a lowercase custom message is appended to the field name as is.
 */
export type Location = 'body' | 'query' | 'params' | 'headers';

function at(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function fieldName(location: Location, path: readonly PropertyKey[]): string {
  if (path.length === 0) return location === 'body' ? 'request body' : location;
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function describe(issue: z.core.$ZodIssue, location: Location, input: unknown): string {
  const field = fieldName(location, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const prefix = issue.path.length === 0 ? '' : `${field}.`;
      const names = issue.keys.map((k) => `'${prefix}${k}'`).join(', ');
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${names}`;
    }
    case 'invalid_type':
      if (at(input, issue.path) === undefined) return issue.path.length === 0 ? `${field} is required` : `${field} is required`;
      if (isCustom(issue.message)) return `${field} ${issue.message}`;
      return `${field} must be ${article(issue.expected)}`;
    case 'too_big':
    case 'too_small': {
      if (isCustom(issue.message)) return `${field} ${issue.message}`;
      const bound = issue.code === 'too_big' ? `at most ${String(issue.maximum)}` : `at least ${String(issue.minimum)}`;
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' || issue.origin === 'set' ? ' items' : '';
      return `${field} must be ${bound}${unit}`;
    }
    case 'invalid_value':
      if (isCustom(issue.message)) return `${field} ${issue.message}`;
      return `${field} must be one of: ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      if (isCustom(issue.message)) return `${field} ${issue.message}`;
      return `${field} must be a valid ${issue.format}`;
    case 'invalid_union':
    case 'invalid_key':
    case 'invalid_element':
    case 'not_multiple_of':
    case 'custom':
      return isCustom(issue.message) ? `${field} ${issue.message}` : `${field}: ${issue.message}`;
    default: {
      const unreachable: never = issue;
      return `${field} is invalid (${String(unreachable)})`;
    }
  }
}

/** Zod's own messages start with a capital ("Invalid input"); ours start lowercase. */
function isCustom(message: string): boolean {
  return /^[a-z]/.test(message);
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

export function validationError(error: z.ZodError, location: Location, input: unknown): Error {
  const issues = error.issues.map((issue) => ({ field: fieldName(location, issue.path), message: describe(issue, location, input) }));
  const first = issues[0]?.message ?? `${location} is invalid`;
  return apiErrors.invalidRequest(first, { location, issues });
}

export function parseWith<S extends z.ZodType>(schema: S, input: unknown, location: Location): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw validationError(result.error, location, input);
}

/** Validates the body already read by defineRoute (ctx.state.body); throws INVALID_REQUEST. */
export function parseBody<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  return parseWith(schema, ctx.state['body'], 'body');
}

export function parseQuery<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  return parseWith(schema, { ...ctx.query }, 'query');
}

export function parseParams<S extends z.ZodType>(ctx: Context & { params?: Record<string, string> }, schema: S): z.output<S> {
  return parseWith(schema, { ...ctx.params }, 'params');
}

export function parseHeaders<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  return parseWith(schema, { ...ctx.headers }, 'headers');
}
