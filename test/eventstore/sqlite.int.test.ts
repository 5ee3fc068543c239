import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.js';
import { describeEventStoreContract } from '../contract/eventStoreContract.js';

describeEventStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledgerhook-sqlite-contract-'));
  const store = openSqliteEventStore({ file: join(dir, 'events.db') });
  return {
    store,
    dropConnections: async () => store.dropSubscriptions(),
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
