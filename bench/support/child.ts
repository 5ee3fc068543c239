/**
 * Starting a bench server as its own process, pinned to one core with taskset when the
 * machine has it, and stopping it with SIGTERM (a clean exit, so --cpu-prof is written).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';

export const hasTaskset = ((): boolean => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Pins this process (the load generator) to `core`; false when taskset is missing or refused. */
export function pinSelf(core: number): boolean {
  if (!hasTaskset) return false;
  try {
    execFileSync('taskset', ['-a', '-cp', String(core), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServerChild {
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<number | null>;
}

export interface StartOptions {
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  /** Where the child's stdout goes (the service's log lines); default /dev/null. */
  readonly stdoutFile?: string;
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeFlags?: readonly string[];
  /** Resolves once the server answers; default: waits for "listening" on stdout. */
  readonly ready?: (url: string) => Promise<boolean>;
  readonly core?: number;
  readonly timeoutMs?: number;
}

export async function startServer(options: StartOptions): Promise<ServerChild> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const node = [process.execPath, ...(options.nodeFlags ?? []), '--import', 'tsx', options.script];
  const [command, ...args] = hasTaskset ? ['taskset', '-c', String(options.core ?? 0), ...node] : node;
  const out = options.ready === undefined ? 'pipe' : openSync(options.stdoutFile ?? '/dev/null', 'a');
  const child = spawn(command as string, args, { env: { ...process.env, ...options.env, PORT: String(port) }, stdio: ['ignore', out, 'pipe'] });
  if (typeof out === 'number') closeSync(out);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  const fail = (why: string): Error => {
    child.kill('SIGKILL');
    return new Error(`${options.script}: ${why}\n${stderr}`);
  };
  if (options.ready === undefined) {
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('listening')) resolve();
      });
      void exited.then((code) => reject(fail(`exited with ${String(code)} before listening`)));
    });
  } else {
    let done = false;
    void exited.then(() => (done = true));
    while (!(await options.ready(url).catch(() => false))) {
      if (done) throw fail('exited before it was ready');
      if (Date.now() > deadline) throw fail('not ready in time');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    process: child,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
