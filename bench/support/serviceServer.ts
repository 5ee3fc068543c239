/**
 * Cases (c) and (d): the service exactly as `npm start` runs it (src/main.ts: config from
 * the environment, pino to stdout, SIGTERM stops it cleanly), so the bench measures what
 * ships. The parent sets the environment and points stdout at a log file.
 *
 * With BENCH_CPU_PROFILE=<file>, SIGUSR2 starts the V8 CPU profiler and the next SIGUSR2
 * writes the profile there: it covers the load window only, not start-up (which folds
 * the seeded log into the read models and would drown the request path).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import '../../src/main.js';

const profileFile = process.env.BENCH_CPU_PROFILE;
if (profileFile !== undefined && profileFile !== '') {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.start'));
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, result) => {
      // Written beside, then renamed: the parent waits for the name to appear.
      writeFileSync(`${profileFile}.part`, error === null ? JSON.stringify(result.profile) : '{}');
      renameSync(`${profileFile}.part`, profileFile);
    });
  });
}
