/** The read models: runner, stores and rebuild. The API and the scheduler import from here. */
export { openReadModels, type ReadModels } from './readModels.js';
export { readModelsPath, READ_MODELS_FILE, openReadModelDatabase, type Checkpoint } from './database.js';
export { createProjectionRunner, type ProjectionRunner, type ProjectionRunnerOptions } from './runner.js';
export type { DueListener, DueReason, DueSignal } from './dueSignals.js';
export type { ProjectionLogger } from './batch.js';
export { projectionNames, isProjectionName, type ProjectionName } from './projection.js';
export { allProjections } from './all.js';
export { InvalidCursorError, type Page } from './cursor.js';
export type { DueMessage, DueRetryStore } from './dueRetry/store.js';
export type { LogItem, ListLogsQuery, MessageView, MessagesStore, ReplaySelection } from './messages/store.js';
export type { EndpointSummary, EndpointView, EndpointsStore } from './endpoints/store.js';
export type { ApiKeySummary, ApiKeysStore, ProjectView } from './apiKeys/store.js';
export type { MetricsBucket, MetricsQuery, MetricsStore, MetricsSummary, MetricsTimeseries } from './metrics/store.js';
export { metricWindows, windowSpec, type MetricWindow } from './metrics/windows.js';
