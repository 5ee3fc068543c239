import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batchedDestination, type LineSink } from '../../src/api/batchedDestination.js';

/** The access log under load: many lines, few writes, none lost or reordered, none held long. */
function fakeSink() {
  const writes: string[] = [];
  const sink: LineSink = {
    write: (chunk) => writes.push(chunk),
    flush: (callback) => callback(null),
    flushSync: () => undefined,
  };
  return { sink, writes };
}

describe('batchedDestination', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('hands the lines of a burst on as one write, in order, within maxDelayMs', () => {
    const { sink, writes } = fakeSink();
    const destination = batchedDestination(sink, { maxDelayMs: 10 });
    for (let i = 0; i < 50; i += 1) destination.write(`line ${i}\n`);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(10);
    expect(writes).toEqual([Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join('')]);
    destination.write('later\n');
    vi.advanceTimersByTime(10);
    expect(writes).toHaveLength(2);
  });

  it('writes at once when the batch reaches maxChars', () => {
    const { sink, writes } = fakeSink();
    const destination = batchedDestination(sink, { maxDelayMs: 1000, maxChars: 20 });
    destination.write('0123456789\n');
    destination.write('0123456789\n');
    expect(writes).toEqual(['0123456789\n0123456789\n']);
  });

  it('flush hands on what waits before the sink flushes, so a stop loses no line', () => {
    const { sink, writes } = fakeSink();
    const destination = batchedDestination(sink, { maxDelayMs: 1000 });
    destination.write('last line\n');
    let flushedAfter: string[] = [];
    destination.flush(() => void (flushedAfter = [...writes]));
    expect(flushedAfter).toEqual(['last line\n']);
  });
});
