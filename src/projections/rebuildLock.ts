/**
 * One rebuild at a time per read-model file. A rebuild starts by dropping the side tables
 * it finds (those a crashed rebuild left behind), so a second rebuild started while one runs
 * would drop the first one's tables under it. The lock is a file beside the read models,
 * created exclusively and holding its owner's process id; a lock whose process is gone (a
 * crash, kill -9) is taken over. The read-model file is local to one machine, so a process
 * id is enough to tell.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

/** Carries a code so the CLI prints it the way it prints other refusals. */
export class RebuildInProgressError extends Error {
  readonly code = 'REBUILD_IN_PROGRESS';
}

/** Takes the lock for `file` or throws RebuildInProgressError; returns its release. */
export function acquireRebuildLock(file: string): () => void {
  const lockFile = `${file}.rebuild-lock`;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const fd = openSync(lockFile, 'wx');
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      const owner = ownerOf(lockFile);
      if (owner === undefined || isAlive(owner) || attempt > 1) {
        throw new RebuildInProgressError(
          `A rebuild of these read models is already running${owner === undefined ? '' : ` (process ${owner})`}: wait for it to finish. ` +
            `If no rebuild runs, delete ${lockFile}`,
        );
      }
      rmSync(lockFile, { force: true }); // its process is gone: a crashed rebuild's lock
    }
  }
}

/** The pid in the lock file; undefined while its owner has created it but not yet written it. */
function ownerOf(lockFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockFile, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM'; // it exists, owned by another user
  }
}
