import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/api/auth/apiKeys.js';
import { createMemoryEventStore, type MemoryEventStore } from '../../src/eventstore/memory/index.js';
import { createProjectionRunner, openReadModels, type DueSignal, type ProjectionRunner, type ReadModels } from '../../src/projections/index.js';
import * as e from './support/events.js';
import { appendAll, silentLogger, tempDir } from './support/harness.js';

let store: MemoryEventStore;
let models: ReadModels;
let runner: ProjectionRunner;
let registry: Registry;
let cleanup: () => void;
const sec = (s: number) => e.T0 + s * 1000;

beforeEach(() => {
  const tmp = tempDir();
  cleanup = tmp.cleanup;
  store = createMemoryEventStore();
  models = openReadModels(join(tmp.dir, 'read-models.sqlite'));
  registry = new Registry();
  runner = createProjectionRunner({ store, db: models.db, logger: silentLogger, registry });
  runner.start();
});

afterEach(async () => {
  await runner.stop();
  models.close();
  await store.close();
  cleanup();
});

const apply = async (...events: Parameters<typeof appendAll>[1]) => {
  const position = await appendAll(store, events);
  expect(await runner.waitForPosition(position, 5000)).toBe(true);
};

describe('projection runner and read models', () => {
  it('serves the due queue, leaving out paused endpoints, and counts what a resume releases', async () => {
    await apply(
      e.endpointCreated('ep_1', 0), e.endpointCreated('ep_2', 0),
      e.queued('m1', 10, 'ep_1'), e.queued('m2', 20, 'ep_2'), e.queued('m3', 5, 'ep_2'),
      e.started('m3', 1, 6), e.failed('m3', 1, 7), e.retryScheduled('m3', 1, 7, 3600),
    );
    expect(models.dueRetry.due(sec(30), 10).map((d) => d.message_id)).toEqual(['m1', 'm2']);
    expect(models.dueRetry.due(sec(4000), 10).map((d) => d.message_id)).toEqual(['m1', 'm2', 'm3']);
    await apply(e.endpointPaused('ep_2', 31));
    expect(models.dueRetry.due(sec(4000), 10).map((d) => d.message_id)).toEqual(['m1']);
    expect(models.dueRetry.countDeferredForEndpoint('ep_2', sec(30))).toBe(1);
    expect(models.dueRetry.countDeferredForEndpoint('ep_2', sec(4000))).toBe(2);
    await apply(e.started('m1', 1, 40, 60), e.succeeded('m1', 1, 41));
    expect(models.dueRetry.due(sec(4000), 10)).toEqual([]);
  });

  it('pages logs newest first with the endpoint URL, filters by status, and lists the DLQ', async () => {
    const events = [e.endpointCreated('ep_1', 0)];
    for (let i = 1; i <= 5; i++) events.push(e.queued(`m${i}`, i));
    events.push(e.started('m2', 1, 10), e.failed('m2', 1, 11, 404), e.failedPermanently('m2', 11, 1, 'non_retryable'));
    await apply(...events);
    const first = models.messages.listLogs({ project_id: 'proj_1', limit: 2 });
    expect(first.items.map((m) => m.message_id)).toEqual(['m5', 'm4']);
    expect(first.items[0]).toMatchObject({ endpoint: 'https://example.com/ep_1', status: 'queued', created_at: e.at(5) });
    expect(first.has_more).toBe(true);
    const second = models.messages.listLogs({ project_id: 'proj_1', limit: 2, cursor: first.next_cursor! });
    expect(second.items.map((m) => m.message_id)).toEqual(['m3', 'm2']);
    const third = models.messages.listLogs({ project_id: 'proj_1', limit: 2, cursor: second.next_cursor! });
    expect(third).toMatchObject({ has_more: false, next_cursor: null });
    expect(third.items.map((m) => m.message_id)).toEqual(['m1']);
    expect(models.messages.listLogs({ project_id: 'proj_1', status: 'queued', start_time: e.at(2), end_time: e.at(5), limit: 10 }).items.map((m) => m.message_id)).toEqual(['m4', 'm3']);
    expect(models.messages.listLogs({ project_id: 'proj_2', limit: 10 }).items).toEqual([]);
    const dlq = models.messages.listDlq('proj_1', 10);
    expect(dlq.items).toHaveLength(1);
    expect(dlq.items[0]).toMatchObject({ message_id: 'm2', last_error: 'HTTP 404', failed_at: e.at(11), attempt_count: 1 });
    expect(models.messages.selectForReplay({ project_id: 'proj_1', status: 'queued', limit: 2 }).map((m) => m.message_id)).toEqual(['m1', 'm3']);
    expect(() => models.messages.listLogs({ project_id: 'proj_1', limit: 2, cursor: 'not-ours' })).toThrow('Invalid cursor');
  });

  it('finds live API keys by hash only, and lists endpoints without secrets', async () => {
    const key = 'hb_live_abcdefghijklmnop';
    await apply(e.projectCreated('proj_1', 0), e.apiKeyCreated('proj_1', 'key_1', hashApiKey(key), 1), e.endpointCreated('ep_1', 2), e.endpointCreated('ep_2', 3));
    expect(await models.apiKeys.findByHash(hashApiKey(key))).toEqual({ project_id: 'proj_1', key_id: 'key_1' });
    expect(models.apiKeys.listApiKeys('proj_1')).toEqual([{ key_id: 'key_1', label: 'backend', prefix: 'hb_live_abc', created_at: e.at(1) }]);
    expect(models.apiKeys.getProject('proj_1')).toMatchObject({ name: 'Project proj_1' });
    await apply(e.apiKeyDeleted('proj_1', 'key_1', 4), e.endpointDeleted('ep_1', 5));
    expect(await models.apiKeys.findByHash(hashApiKey(key))).toBeNull();
    const page = models.endpoints.listEndpoints('proj_1', 10);
    expect(page.items).toEqual([{ id: 'ep_2', url: 'https://example.com/ep_2', description: 'hooks', paused: false, created_at: e.at(3) }]);
    expect(models.endpoints.getEndpoint('ep_1')).toMatchObject({ deleted: true, headers: { 'X-A': '1' } });
    expect(JSON.stringify(models.endpoints.getEndpoint('ep_2'))).not.toContain('whsec_');
  });

  it('answers metrics for a window and buckets a time series', async () => {
    await apply(
      e.queued('m1', 0), e.started('m1', 1, 1), e.succeeded('m1', 1, 2, 100),
      e.queued('m2', 600), e.started('m2', 1, 601), e.failed('m2', 1, 602, 500, 300), e.retryScheduled('m2', 1, 602, 60),
      e.queued('m3', 700, 'ep_2'), e.started('m3', 1, 701), e.failed('m3', 1, 702, 404, 200), e.failedPermanently('m3', 702, 1, 'non_retryable'),
    );
    const now = sec(900);
    expect(models.metrics.summary({ project_id: 'proj_1', window: '1h', nowMs: now })).toEqual({
      window: '1h', total_messages: 3, succeeded: 1, failed: 1, retries: 1, success_rate: 1 / 3, avg_latency_ms: 200,
    });
    expect(models.metrics.summary({ project_id: 'proj_1', endpoint_id: 'ep_2', window: '1h', nowMs: now })).toMatchObject({ total_messages: 1, failed: 1 });
    expect(models.metrics.summary({ project_id: 'proj_1', window: '1h', nowMs: sec(7200) })).toMatchObject({ total_messages: 0, success_rate: 0 });
    const series = models.metrics.timeseries({ project_id: 'proj_1', window: '1h', nowMs: now });
    expect(series.buckets).toHaveLength(12);
    expect(series.buckets[11]!.timestamp).toBe(e.at(900));
    const nonEmpty = series.buckets.filter((b) => b.total > 0);
    expect(nonEmpty).toEqual([
      { timestamp: e.at(0), succeeded: 1, failed: 0, retrying: 0, total: 1, avg_latency_ms: 100 },
      { timestamp: e.at(600), succeeded: 0, failed: 1, retrying: 1, total: 2, avg_latency_ms: 250 },
    ]);
    expect(models.metrics.timeseries({ project_id: 'proj_1', window: '30d', nowMs: now }).buckets).toHaveLength(30);
  });

  it('wakes the scheduler on queue, replay, expedite and endpoint resume', async () => {
    const signals: DueSignal[] = [];
    runner.onDue((s) => signals.push(s));
    await apply(e.queued('m1', 0), e.started('m1', 1, 1), e.failed('m1', 1, 2), e.retryScheduled('m1', 1, 2, 600), e.expedited('m1', 3));
    await apply(e.started('m1', 2, 4), e.succeeded('m1', 2, 5), e.replayed('m1', 6), e.endpointResumed('ep_1', 7));
    expect(signals.map((s) => [s.reason, s.message_id, s.endpoint_id])).toEqual([
      ['queued', 'm1', 'ep_1'], ['expedited', 'm1', 'ep_1'], ['replayed', 'm1', 'ep_1'], ['endpoint_resumed', null, 'ep_1'],
    ]);
  });

  it('skips an event it cannot decode, reports caught up and lag on /metrics, and times out a wait for the future', async () => {
    await store.append('message-bad', [{ id: '00000000-0000-4000-8000-00000000bad0', type: 'MessageQueued', data: { v: 1 } }]);
    await apply(e.queued('m1', 0));
    expect(models.messages.count()).toBe(1);
    expect(runner.isCaughtUp()).toBe(true);
    const text = await registry.metrics();
    expect(text).toContain('projection_lag_events{projection="messages"} 0');
    expect(text).toMatch(/projection_events_applied_total 2/);
    expect(await runner.waitForPosition(10_000n, 20)).toBe(false);
  });
});
