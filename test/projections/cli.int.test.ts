import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import { registerProjectionsCommands } from '../../src/cli/projections.js';
import type { Config } from '../../src/config.js';
import { createMemoryEventStore, type MemoryEventStore } from '../../src/eventstore/memory/index.js';
import * as e from './support/events.js';
import { appendAll, tempDir } from './support/harness.js';

let store: MemoryEventStore;
let dir: string;
let cleanup: () => void;
let out: string[];
let err: string[];

beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  store = createMemoryEventStore();
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await store.close();
  cleanup();
});

const run = async (...args: string[]) => {
  const ctx: CliContext = { config: () => ({ DATA_DIR: dir }) as Config, store: () => store, close: async () => undefined };
  const program = new Command('ledgerhook').exitOverride();
  registerProjectionsCommands(program, ctx);
  await program.parseAsync(['node', 'ledgerhook', ...args]);
};

describe('projections CLI', () => {
  it('status shows lag before a rebuild, and the rebuild brings checkpoints to the head with rows', async () => {
    await appendAll(store, [e.endpointCreated('ep_1', 0), e.queued('m1', 1), e.queued('m2', 2)]);
    await run('projections', 'status');
    expect(out.join('')).toMatch(/messages\s+start\s+3\s+messages=0/);

    out = [];
    await run('projections', 'rebuild', 'all');
    expect(out.join('')).toMatch(/rebuilt .*messages.*: 3 events/);
    expect(out.join('')).toMatch(/time spent: reading the log \d+\.\d s, decoding \d+\.\d s, folding and writing \d+\.\d s, indexing \d+\.\d s, swapping \d+\.\d s/);
    expect(err.join('')).toContain('rebuild done: 100.0% 3 events'); // not a TTY: plain lines

    out = [];
    await run('projections', 'status');
    expect(out.join('')).toMatch(/messages\s+3\s+0\s+messages=2/);
    expect(out.join('')).toMatch(/due-retry\s+3\s+0\s+due_retry=2/);
  });

  it('refuses an unknown projection name', async () => {
    await expect(run('projections', 'rebuild', 'nope')).rejects.toThrow('unknown projection "nope"');
  });
});
