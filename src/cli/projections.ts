import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import pino from 'pino';
import { allProjections, projectionsNamed } from '../projections/all.js';
import { checkpointStore, ensureTables, openReadModelDatabase, readModelsPath } from '../projections/database.js';
import { isProjectionName, projectionNames, type ProjectionName } from '../projections/projection.js';
import { rebuildProjections, type RebuildProgress } from '../projections/rebuild.js';
import type { CliContext } from './context.js';

/**
 * `projections status` and `projections rebuild <name|all>`: ops on the read models of the
 * same DATA_DIR the service uses, safe while it runs (the rebuild builds beside the live
 * tables and swaps them in one transaction; Ctrl-C leaves the live model untouched).
 */
export function registerProjectionsCommands(program: Command, ctx: CliContext): void {
  const projections = program.command('projections').description('inspect and rebuild the read models');

  projections
    .command('status')
    .description("print each projection's checkpoint, lag behind the log head, and row counts")
    .action(async () => {
      const dataDir = ctx.config().DATA_DIR;
      mkdirSync(dataDir, { recursive: true });
      const db = openReadModelDatabase(readModelsPath(dataDir));
      try {
        ensureTables(db, allProjections);
        const head = await ctx.store().headPosition();
        const stored = checkpointStore(db).all();
        const headValue = head === 'start' ? 0n : head;
        const lines = [`log head: ${String(head)}`, 'projection   checkpoint   lag   rows'];
        for (const p of allProjections) {
          const cp = stored.get(p.name);
          const lag = headValue - (cp ?? 0n);
          const rows = p.tables.map((t) => `${t.name}=${String(db.prepare(`SELECT count(*) FROM ${t.name}`).pluck().get())}`).join(' ');
          lines.push(`${p.name.padEnd(12)} ${String(cp ?? 'start').padStart(10)} ${String(lag > 0n ? lag : 0n).padStart(5)}   ${rows}`);
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        db.close();
      }
    });

  projections
    .command('rebuild')
    .description(`rebuild from position zero beside the live tables, then swap atomically: one of ${projectionNames.join(', ')}, or all`)
    .argument('<name>', 'a projection name, or "all"')
    .option('--page-size <n>', "events per read (default: the rebuild's, 1000)")
    .action(async (name: string, options: { pageSize?: string }) => {
      if (name !== 'all' && !isProjectionName(name)) throw new Error(`unknown projection "${name}": use one of ${projectionNames.join(', ')}, or all`);
      const pageSize = options.pageSize === undefined ? undefined : Number(options.pageSize);
      if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1)) throw new Error('--page-size must be a positive integer');
      const names: readonly ProjectionName[] = name === 'all' ? projectionNames : [name];
      const dataDir = ctx.config().DATA_DIR;
      mkdirSync(dataDir, { recursive: true });
      const controller = new AbortController();
      const interrupt = (): void => controller.abort(new Error('interrupted'));
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      const progress = progressReporter(process.stderr.isTTY === true);
      try {
        const result = await rebuildProjections({
          store: ctx.store(),
          file: readModelsPath(dataDir),
          projections: projectionsNamed(names),
          logger: pino({ level: 'warn' }, process.stderr),
          ...(pageSize === undefined ? {} : { pageSize }),
          signal: controller.signal,
          onProgress: progress.update,
        });
        progress.stop();
        const rate = result.seconds > 0 ? Math.round(result.events / result.seconds) : result.events;
        const { read, decode, fold, index, swap } = result.phases;
        process.stdout.write(`rebuilt ${names.join(', ')}: ${result.events} events in ${result.seconds.toFixed(1)} s (${rate} events/s), checkpoint ${String(result.position)}\n`);
        process.stdout.write(`  time spent: reading the log ${read.toFixed(1)} s, decoding ${decode.toFixed(1)} s, folding and writing ${fold.toFixed(1)} s, indexing ${index.toFixed(1)} s, swapping ${swap.toFixed(1)} s\n`);
      } catch (error) {
        progress.stop();
        if (controller.signal.aborted) {
          process.stderr.write('rebuild interrupted: the live read models are untouched\n');
          process.exitCode = 130;
          return;
        }
        throw error;
      } finally {
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
      }
    });
}

interface ProgressReporter {
  update(progress: RebuildProgress): void;
  stop(): void;
}

/** A bar with events/s and ETA on a terminal; a plain line every second otherwise (logs, CI). */
function progressReporter(tty: boolean): ProgressReporter {
  const started = performance.now();
  const rate = (events: number): number => Math.round(events / Math.max((performance.now() - started) / 1000, 0.001));
  const fraction = (p: RebuildProgress): number =>
    p.head === 'start' || p.position === 'start' ? (p.phase === 'done' ? 1 : 0) : Math.min(1, Number(p.position) / Number(p.head));
  if (tty) {
    const bar = new cliProgress.SingleBar(
      { format: 'rebuild [{bar}] {percentage}% | {events} events | {rate} events/s | ETA {eta_formatted}', etaBuffer: 50, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(1000, 0, { events: 0, rate: 0 });
    return {
      update: (p) => bar.update(Math.round(fraction(p) * 1000), { events: p.events, rate: rate(p.events) }),
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update(p) {
      const now = performance.now();
      if (p.phase === 'building' && now - last < 1000) return;
      last = now;
      const percent = (fraction(p) * 100).toFixed(1);
      const done = fraction(p);
      const eta = done > 0 && done < 1 ? `${Math.round(((now - started) / 1000) * ((1 - done) / done))} s` : '-';
      process.stderr.write(`rebuild ${p.phase}: ${percent}% ${p.events} events ${rate(p.events)} events/s ETA ${eta}\n`);
    },
    stop: () => undefined,
  };
}
