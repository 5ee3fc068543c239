import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError } from '../../src/domain/errors.js';
import { parseWith } from '../../src/api/http/validate.js';

function messageOf(schema: z.ZodType, input: unknown, location: 'body' | 'query' = 'body'): string {
  try {
    parseWith(schema, input, location);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('INVALID_REQUEST');
    expect((error as DomainError).status).toBe(400);
    return (error as DomainError).message;
  }
  throw new Error('expected a validation error');
}

describe('validation messages name the field and say what to send', () => {
  it('covers the common cases', () => {
    expect(messageOf(z.strictObject({ a: z.string() }), undefined)).toBe('request body is required');
    expect(messageOf(z.strictObject({ a: z.string() }), [])).toBe('request body must be an object');
    expect(messageOf(z.strictObject({ a: z.string() }), { a: 1 })).toBe('a must be a string');
    expect(messageOf(z.strictObject({ url: z.string().min(12).max(2048) }), { url: 'https://x' })).toBe('url must be at least 12 characters');
    expect(messageOf(z.strictObject({ s: z.enum(['queued', 'succeeded']) }), { s: 'nope' })).toBe('s must be one of: queued, succeeded');
    expect(messageOf(z.strictObject({ h: z.array(z.strictObject({ name: z.string() })) }), { h: [{ name: 'a' }, { name: 2 }] })).toBe('h[1].name must be a string');
    expect(messageOf(z.strictObject({ o: z.strictObject({ a: z.string() }) }), { o: { a: 'x', b: 1, c: 2 } })).toBe("unknown fields 'o.b', 'o.c'");
    expect(messageOf(z.strictObject({ limit: z.coerce.number().int() }), { limit: 'abc' }, 'query')).toBe('limit must be a number');
    expect(messageOf(z.strictObject({ at: z.iso.datetime() }), { at: 'yesterday' })).toBe('at must be a valid datetime');
  });

  it('uses a schema’s own lowercase message after the field name', () => {
    expect(messageOf(z.strictObject({ endpoint_id: z.string().regex(/^ep_[a-f0-9]{32}$/, 'must be in format ep_xxx') }), { endpoint_id: 'ep_1' })).toBe(
      'endpoint_id must be in format ep_xxx',
    );
  });

  it('lists every issue in details', () => {
    try {
      parseWith(z.strictObject({ a: z.string(), b: z.number() }), {}, 'body');
    } catch (error) {
      expect((error as DomainError).details).toEqual({
        location: 'body',
        issues: [
          { field: 'a', message: 'a is required' },
          { field: 'b', message: 'b is required' },
        ],
      });
    }
    expect.assertions(1);
  });
});
