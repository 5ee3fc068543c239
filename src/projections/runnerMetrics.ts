import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The runner's Prometheus series: lag (head minus checkpoint, per projection), events
 * applied (a counter: rate() gives events/s) and events/s since the last scrape (a gauge,
 * for eyes without PromQL). Lag is computed at scrape time from the store's head.
 */
export interface RunnerMetrics {
  applied(count: number): void;
}

export function createRunnerMetrics(
  registry: Registry,
  projections: readonly string[],
  lagOf: () => Promise<Map<string, bigint>>,
): RunnerMetrics {
  for (const name of ['projection_lag_events', 'projection_events_applied_total', 'projection_events_per_second']) registry.removeSingleMetric(name);
  const events = new Counter({ name: 'projection_events_applied_total', help: 'Events the projection runner has applied', registers: [registry] });
  let lastTotal = 0;
  let total = 0;
  let lastAt = performance.now();
  new Gauge({
    name: 'projection_events_per_second',
    help: 'Events applied per second since the previous scrape',
    registers: [registry],
    collect() {
      const now = performance.now();
      const seconds = (now - lastAt) / 1000;
      this.set(seconds > 0 ? (total - lastTotal) / seconds : 0);
      lastTotal = total;
      lastAt = now;
    },
  });
  new Gauge({
    name: 'projection_lag_events',
    help: 'Log head position minus the projection checkpoint',
    labelNames: ['projection'],
    registers: [registry],
    async collect() {
      try {
        const lags = await lagOf();
        for (const projection of projections) this.set({ projection }, Number(lags.get(projection) ?? 0n));
      } catch {
        // The store is unreachable: keep the last values rather than fail the whole scrape.
      }
    },
  });
  return {
    applied(count) {
      total += count;
      events.inc(count);
    },
  };
}
