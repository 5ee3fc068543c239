export { createMemoryEventStore } from './memoryEventStore.js';
export type { MemoryEventStore, MemoryEventStoreOptions } from './memoryEventStore.js';
