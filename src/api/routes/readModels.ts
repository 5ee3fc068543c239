import type { ReadModels as ProjectionReadModels } from '../../projections/index.js';

/**
 * The read-model queries the list routes use (logs, DLQ list, metrics, replay-all, the
 * endpoints list, API keys list, and resume's count of deferred messages). Lists are read
 * from the projections, so they trail the log by the projection lag (milliseconds when
 * live); single-resource reads and every decision load the aggregate from the log instead.
 */
export type ReadModels = Pick<ProjectionReadModels, 'messages' | 'endpoints' | 'apiKeys' | 'metrics' | 'dueRetry'>;
