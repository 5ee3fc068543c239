export { createEsdbEventStore } from './esdbEventStore.js';
export type { EsdbEventStoreOptions } from './esdbEventStore.js';
