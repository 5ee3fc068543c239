import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { projectRoot } from './serviceProcess.js';

/** The gRPC EventStoreDB stand-in (test/support/esdb) as its own process, for multi-process tests. */
export interface EsdbProcess {
  readonly connectionString: string;
  stop(): Promise<void>;
}

export async function startEsdbProcess(timeoutMs = 20_000): Promise<EsdbProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'test/support/esdb/main.ts')], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const connectionString = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`EventStoreDB test server did not start:\n${output}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { connectionString: string }).connectionString);
      }
    });
    child.once('exit', (code) => reject(new Error(`EventStoreDB test server exited with ${code}:\n${output}`)));
  });
  return {
    connectionString,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
