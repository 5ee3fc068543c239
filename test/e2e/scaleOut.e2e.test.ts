import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEsdbProcess, type EsdbProcess } from '../support/esdbProcess.js';
import { startHttpsReceiver, type HttpsReceiver } from '../support/httpsReceiver.js';
import { apiClient, type Json } from '../support/apiClient.js';
import { runCli, startServiceProcess, type ServiceProcess } from '../support/serviceProcess.js';
import { testCertificate } from '../support/testCertificate.js';

// Scale-out on EventStoreDB (our gRPC stand-in, speaking the real client's protocol): one
// process serves the API, another only delivers, each with its own read models; a third,
// started afterwards, rebuilds the read models from $all and finds the same state.
const apiKey = 'hb_test_e2e_scale_out_key_000001';


describe('api and scheduler as separate processes on EventStoreDB', () => {
  const dirs: string[] = [];
  let esdb: EsdbProcess;
  let receiver: HttpsReceiver;
  let api: ServiceProcess;
  let scheduler: ServiceProcess;
  const client = apiClient(() => api.url, apiKey);
  const call = client.call;
  const waitForStatus = (id: string, status: string) => client.waitForStatus(id, status, 20_000, () => `scheduler output:\n${scheduler.output()}`);

  const freshDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgerhook-scale-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    esdb = await startEsdbProcess();
    receiver = await startHttpsReceiver();
    const common = { EVENTSTORE_CONNECTION_STRING: esdb.connectionString, RETRY_SCHEDULE_SLOW: '3600', ALLOW_PRIVATE_ENDPOINTS: 'true' };
    [api, scheduler] = await Promise.all([
      startServiceProcess({ ...common, ROLE: 'api', DATA_DIR: freshDir(), BOOTSTRAP_API_KEY: apiKey }),
      startServiceProcess(
        { ...common, ROLE: 'scheduler', DATA_DIR: freshDir(), NODE_EXTRA_CA_CERTS: testCertificate().certPath, SCHEDULER_POLL_MS: '200' },
        30_000,
        'scheduler',
      ),
    ]);
  });

  afterAll(async () => {
    await Promise.all([api?.stop(), scheduler?.stop()]);
    await receiver?.close();
    await esdb?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('takes a message from send through a failed attempt and retry-now to delivery; a rebuild from $all agrees', async () => {
    const created = await call('POST', '/v1/endpoints', { url: receiver.url('/scale') });
    expect(created.status).toBe(201);
    receiver.reply({ status: 500 });
    const sent = await call('POST', '/v1/webhooks/send', { endpoint_id: created.json.data.id, payload: { n: 1 } });
    expect(sent.status).toBe(202);
    const messageId = sent.json.data.message_id as string;

    await waitForStatus(messageId, 'pending_retry');
    expect((await call('POST', `/v1/messages/${messageId}/retry-now`)).status).toBe(200);
    const delivered = await waitForStatus(messageId, 'succeeded');
    expect(delivered.attempt_count).toBe(2);
    expect(receiver.requests.filter((r) => r.headers['x-webhook-id'] === messageId)).toHaveLength(2);

    // The api process's logs read model sees the delivery the scheduler process recorded.
    const logs = await call('GET', '/v1/logs?limit=10');
    expect(logs.json.data.find((item: Json) => item.message_id === messageId)?.status).toBe('succeeded');

    // A third process, on an empty DATA_DIR, rebuilds every read model from $all.
    const rebuiltDir = freshDir();
    const rebuild = await runCli(['projections', 'rebuild', 'all'], { DATA_DIR: rebuiltDir, EVENTSTORE_CONNECTION_STRING: esdb.connectionString });
    expect(rebuild.code, rebuild.stderr).toBe(0);
    await api.stop(); // its read models are now still; compare them at rest
    const open = (dir: string): Database.Database => new Database(join(dir, 'read-models.sqlite'), { readonly: true });
    const live = open(dirs[0] as string);
    const rebuilt = open(rebuiltDir);
    try {
      for (const table of ['messages', 'endpoints', 'api_keys', 'projects', 'due_retry']) {
        const rows = (db: Database.Database): unknown[] => db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all();
        expect(rows(rebuilt), table).toEqual(rows(live));
      }
      const message = (db: Database.Database): unknown => db.prepare('SELECT status, attempt_count FROM messages WHERE message_id = ?').get(messageId);
      expect(message(rebuilt)).toEqual({ status: 'succeeded', attempt_count: 2 });
    } finally {
      live.close();
      rebuilt.close();
    }
  });
});
