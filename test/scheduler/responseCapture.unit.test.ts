import { describe, expect, it } from 'vitest';
import { BodyExcerpt, captureHeaders } from '../../src/scheduler/responseCapture.js';
import { createAgentPool } from '../../src/scheduler/agentPool.js';

const limits = { maxHeaders: 3, maxHeaderBytes: 100, excerptBytes: 5 };

describe('captureHeaders', () => {
  it('keeps headers by lower-case name, joining repeats', () => {
    expect(captureHeaders(['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2'], limits)).toEqual({
      headers: { 'content-type': 'text/plain', 'set-cookie': 'a=1, b=2' },
      truncated: false,
    });
  });

  it('stops at the header count', () => {
    const raw = ['A', '1', 'B', '2', 'C', '3', 'D', '4'];
    expect(captureHeaders(raw, limits)).toEqual({ headers: { a: '1', b: '2', c: '3' }, truncated: true });
  });

  it('stops before the size limit is passed', () => {
    const { headers, truncated } = captureHeaders(['x-a', 'v'.repeat(60), 'x-b', 'v'.repeat(60)], limits);
    expect(Object.keys(headers)).toEqual(['x-a']);
    expect(truncated).toBe(true);
  });
});

describe('BodyExcerpt', () => {
  it('keeps the first bytes and never splits a character', () => {
    const excerpt = new BodyExcerpt(6); // cuts inside the 3-byte €
    excerpt.push(Buffer.from('ab'));
    excerpt.push(Buffer.from('cé€'));
    expect(excerpt.value).toBe('abcé');
    expect(excerpt.truncated).toBe(true);
    expect(excerpt.received).toBe(8);
  });

  it('is not truncated when the body fits', () => {
    const excerpt = new BodyExcerpt(5);
    excerpt.push(Buffer.from('hello'));
    expect(excerpt.value).toBe('hello');
    expect(excerpt.truncated).toBe(false);
  });
});

describe('agent pool', () => {
  it('keeps one agent per origin and evicts the least recently used idle ones past the bound', () => {
    const pool = createAgentPool({ maxAgents: 2, idleSocketMs: 1000 });
    const a = pool.get('https://a.example');
    expect(pool.get('https://a.example')).toBe(a);
    pool.get('https://b.example');
    pool.get('https://a.example'); // a is now the most recent
    pool.get('https://c.example'); // evicts b
    expect(pool.size()).toBe(2);
    expect(pool.get('https://a.example')).toBe(a);
    pool.destroy();
    expect(pool.size()).toBe(0);
  });
});
