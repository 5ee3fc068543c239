/** The domain's public surface: pure deciders, event schemas, stream names, the retry policy. */
export * from './errors.js';
export * from './deliveryHeaders.js';
export * from './streams.js';
export * from './schema.js';
export * from './events.js';
export * from './retryPolicy.js';
export * from './message/index.js';
export * from './endpoint/index.js';
export * from './project/index.js';
export * from './idempotency/index.js';
