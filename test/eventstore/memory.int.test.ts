import { createMemoryEventStore } from '../../src/eventstore/memory/index.js';
import { describeEventStoreContract } from '../contract/eventStoreContract.js';

describeEventStoreContract('in-memory', async () => {
  const store = createMemoryEventStore();
  return {
    store,
    dropConnections: async () => store.dropSubscriptions(),
    close: () => store.close(),
  };
});
