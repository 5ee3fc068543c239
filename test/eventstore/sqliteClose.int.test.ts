import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// close() must finish in a process with nothing else to do: once the store has committed
// enough to start its checkpoint worker, an idle process used to exit in the middle of
// close() (the worker was unref'd), so anything after it (the logger flush) never ran.
const dir = mkdtempSync(join(tmpdir(), 'ledgerhook-close-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runAndClose(commits: number): Promise<{ code: number | null; stdout: string }> {
  const adapter = fileURLToPath(new URL('../../src/eventstore/sqlite/index.js', import.meta.url));
  const script = `
    const { openSqliteEventStore } = await import(${JSON.stringify(adapter)});
    const { randomUUID } = await import('node:crypto');
    const store = openSqliteEventStore({ file: ${JSON.stringify(join(dir, `close-${commits}.db`))} });
    let expected = 'no_stream';
    for (let i = 0; i < ${commits}; i += 1) {
      const result = await store.append('close-test', [{ id: randomUUID(), type: 'Tick', data: { i } }], { expectedRevision: expected });
      expected = result.nextExpectedRevision;
    }
    await store.close();
    process.stdout.write('closed');
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

describe('closing the SQLite store', () => {
  it('completes in an otherwise idle process after the checkpoint worker has started', async () => {
    // 600 single-append commits: past the 500 after which checkpoints move to a worker.
    expect(await runAndClose(600)).toEqual({ code: 0, stdout: 'closed' });
  });
});
