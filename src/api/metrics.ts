import { collectDefaultMetrics, Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

export interface HttpMetrics {
  observe(labels: { method: string; route: string; status: number }, seconds: number): void;
}

/**
 * Request count and latency labelled by route *template* (/v1/messages/:id), never the raw
 * path, so label cardinality stays bounded by the number of routes. Default process
 * metrics go on the same registry once; other parts (projection lag...) add their own.
 */
export function createHttpMetrics(registry: Registry): HttpMetrics {
  if (registry.getSingleMetric('process_cpu_user_seconds_total') === undefined) {
    collectDefaultMetrics({ register: registry });
  }
  const labelNames = ['method', 'route', 'status'] as const;
  const requests =
    (registry.getSingleMetric('http_requests_total') as Counter<(typeof labelNames)[number]> | undefined) ??
    new Counter({ name: 'http_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] });
  const duration =
    (registry.getSingleMetric('http_request_duration_seconds') as Histogram<(typeof labelNames)[number]> | undefined) ??
    new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency from first byte in to response handed to the socket',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  return {
    observe({ method, route, status }, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
  };
}
