import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEsdbEventStore } from '../../src/eventstore/esdb/index.js';
import type { RecordedEvent } from '../../src/eventstore/port.js';
import { apiClient } from '../support/apiClient.js';
import { startEsdbProcess, type EsdbProcess } from '../support/esdbProcess.js';
import { startServiceProcess, type ServiceProcess } from '../support/serviceProcess.js';
import { testCertificate } from '../support/testCertificate.js';
import { startFlakyReceiver, type FlakyReceiver } from './support/flakyReceiver.js';

// Two scheduler processes and one api process on one store, the supported scale-out path (the
// EventStoreDB stand-in: each process keeps its own read models in its own DATA_DIR, which one
// SQLite DATA_DIR cannot give them). Under a load of sends and fast retries, no attempt number
// may start twice for any message. Then, with both schedulers stopped, 100 concurrent retry-now
// calls on one pending message must append exactly one RetryExpedited.
const apiKey = 'hb_test_concurrency_suite_key_001';
const messages = Number(process.env.CONCURRENCY_MESSAGES ?? 60);

describe('concurrency across processes', () => {
  const dirs: string[] = [];
  let esdb: EsdbProcess;
  let receiver: FlakyReceiver;
  let api: ServiceProcess;
  let schedulers: ServiceProcess[];
  const { call } = apiClient(() => api.url, apiKey);

  const freshDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgerhook-concurrency-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    [esdb, receiver] = await Promise.all([startEsdbProcess(), startFlakyReceiver({ failShare: 0.35, failStatus: 429, seed: 7, delayMs: 10, alwaysFailPath: '/always-fails' })]);
    const common = {
      EVENTSTORE_CONNECTION_STRING: esdb.connectionString,
      ALLOW_PRIVATE_ENDPOINTS: 'true',
      NODE_EXTRA_CA_CERTS: testCertificate().certPath,
      // 429s retry after 1 s; anything else waits an hour, so the always-failing message stays pending.
      RETRY_SCHEDULE_FAST: '1,1,1',
      RETRY_SCHEDULE_SLOW: '3600',
      MAX_ATTEMPTS: '4',
      SCHEDULER_POLL_MS: '100',
      LEASE_MS: '5000',
      DELIVERY_TIMEOUT_MS: '4000',
    };
    const scheduler = (): Promise<ServiceProcess> => startServiceProcess({ ...common, ROLE: 'scheduler', DATA_DIR: freshDir() }, 30_000, 'scheduler');
    const started = await Promise.all([startServiceProcess({ ...common, ROLE: 'api', DATA_DIR: freshDir(), BOOTSTRAP_API_KEY: apiKey }), scheduler(), scheduler()]);
    api = started[0];
    schedulers = started.slice(1);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), ...(schedulers ?? []).map((s) => s.stop())]);
    await receiver?.close();
    await esdb?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function messageEvents(): Promise<Map<string, RecordedEvent[]>> {
    const store = createEsdbEventStore({ connectionString: esdb.connectionString });
    try {
      const byMessage = new Map<string, RecordedEvent[]>();
      for (const e of await store.readAll({ prefixes: ['message-'], maxCount: 1_000_000 })) byMessage.set(e.stream, [...(byMessage.get(e.stream) ?? []), e]);
      return byMessage;
    } finally {
      await store.close();
    }
  }

  it('starts no attempt number twice with two schedulers under load, and both schedulers take part', async () => {
    const load = (await call('POST', '/v1/endpoints', { url: receiver.urlFor('/load') })).json.data.id as string;
    const stuck = (await call('POST', '/v1/endpoints', { url: receiver.urlFor('/always-fails') })).json.data.id as string;
    const ids: string[] = [];
    const sender = async (n: number): Promise<void> => {
      for (let i = n; i < messages; i += 8) {
        const sent = await call('POST', '/v1/webhooks/send', { endpoint_id: load, payload: { i } });
        expect(sent.status).toBe(202);
        ids.push(sent.json.data.message_id as string);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, n) => sender(n)));
    const pending = await call('POST', '/v1/webhooks/send', { endpoint_id: stuck, payload: { pending: true } });
    const pendingId = pending.json.data.message_id as string;

    // Wait for every load message to end and the other to wait for its hour-long retry.
    const deadline = Date.now() + 60_000;
    let events = await messageEvents();
    const ended = (stream: string): boolean => (events.get(stream) ?? []).some((e) => ['DeliveryAttemptSucceeded', 'MessageFailedPermanently'].includes(e.type));
    while (Date.now() < deadline && !(ids.every((id) => ended(`message-${id}`)) && (events.get(`message-${pendingId}`) ?? []).some((e) => e.type === 'RetryScheduled'))) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      events = await messageEvents();
    }
    expect(ids.filter((id) => !ended(`message-${id}`))).toEqual([]);

    const twice: string[] = [];
    const actors = new Set<string>();
    let attempts = 0;
    for (const [stream, recorded] of events) {
      const started = recorded.filter((e) => e.type === 'DeliveryAttemptStarted');
      attempts += started.length;
      for (const e of started) actors.add(String(e.metadata.actor));
      const numbers = started.map((e) => (e.data as { attempt_no: number }).attempt_no);
      if (new Set(numbers).size !== numbers.length) twice.push(`${stream}: ${numbers.join(',')}`);
    }
    expect(twice).toEqual([]);
    const pairs = receiver.seen.map((s) => `${s.messageId}#${s.attempt}`);
    expect(pairs.filter((p, i) => pairs.indexOf(p) !== i)).toEqual([]);
    expect(actors.size, [...actors].join(', ')).toBe(2);
    console.log(JSON.stringify({ suite: 'concurrency', schedulers: 2, messages: ids.length + 1, attempts, posts: receiver.seen.length, attemptsByScheduler: [...actors].map((a) => [...events.values()].flat().filter((e) => e.type === 'DeliveryAttemptStarted' && e.metadata.actor === a).length) }));

    // Scheduler off: 100 concurrent retry-now on the pending message append one event.
    await Promise.all(schedulers.map((s) => s.stop()));
    expect((await call('GET', `/v1/messages/${pendingId}`)).json.data.status).toBe('pending_retry');
    const answers = await Promise.all(Array.from({ length: 100 }, () => call('POST', `/v1/messages/${pendingId}/retry-now`)));
    expect(answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);
    const history = (await messageEvents()).get(`message-${pendingId}`) ?? [];
    expect(history.filter((e) => e.type === 'RetryExpedited')).toHaveLength(1);
  });
});
