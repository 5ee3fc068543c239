/**
 * The reference's metric windows and the bucket width of each time series (the reference
 * leaves widths to us): 1h -> 5 min (12 buckets), 24h -> 1 h (24), 7d -> 6 h (28), 30d -> 1 day (30).
 */
export const metricWindows = ['1h', '24h', '7d', '30d'] as const;
export type MetricWindow = (typeof metricWindows)[number];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const windowSpec: Record<MetricWindow, { readonly lengthMs: number; readonly bucketMs: number }> = {
  '1h': { lengthMs: HOUR, bucketMs: 5 * MINUTE },
  '24h': { lengthMs: DAY, bucketMs: HOUR },
  '7d': { lengthMs: 7 * DAY, bucketMs: 6 * HOUR },
  '30d': { lengthMs: 30 * DAY, bucketMs: DAY },
};
