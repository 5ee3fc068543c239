export { createEsdbEventStore } from './esdbEventStore.js';
export type { EsdbEventStore, EsdbEventStoreOptions } from './esdbEventStore.js';
