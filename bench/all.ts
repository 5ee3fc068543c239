/**
 * `npm run bench`: every bench in package.json (`bench:*` scripts) in short mode, one
 * after another (never in parallel: they would measure each other). Scripts are read at
 * run time, so a bench added later is picked up and a missing one is simply not run.
 * A failing bench is reported and the others still run; the exit code says if any failed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const preferred = ['bench:eventstore', 'bench:rebuild', 'bench:delivery', 'bench:api'];
const scripts = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {});
const benches = scripts.filter((name) => name.startsWith('bench:'));
const ordered = [...preferred.filter((name) => benches.includes(name)), ...benches.filter((name) => !preferred.includes(name)).sort()];
const skipped = preferred.filter((name) => !benches.includes(name));

if (skipped.length > 0) console.log(`not present yet, skipped: ${skipped.join(', ')}`);
const failed: string[] = [];
for (const name of ordered) {
  console.log(`\n=== npm run ${name} -- --short`);
  const run = spawnSync('npm', ['run', '--silent', name, '--', '--short'], { stdio: 'inherit' });
  if (run.status !== 0) failed.push(`${name} (exit ${String(run.status ?? run.signal)})`);
}
console.log(`\n${ordered.length - failed.length}/${ordered.length} benches ran${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}`);
if (failed.length > 0) process.exitCode = 1;
