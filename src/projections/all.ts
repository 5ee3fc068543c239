import { apiKeysProjection } from './apiKeys/store.js';
import { dueRetryProjection } from './dueRetry/store.js';
import { endpointsProjection } from './endpoints/store.js';
import { messagesProjection } from './messages/store.js';
import { metricsProjection } from './metrics/store.js';
import type { Projection, ProjectionName } from './projection.js';

/** Every read model, in the order the runner applies a batch to them. */
export const allProjections: readonly Projection[] = [endpointsProjection, apiKeysProjection, messagesProjection, dueRetryProjection, metricsProjection];

export function projectionsNamed(names: readonly ProjectionName[]): Projection[] {
  return allProjections.filter((p) => names.includes(p.name));
}
