import { lookup } from 'node:dns/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/api/logger.js';
import { startService, type RunningService } from '../../src/compose/service.js';
import { loadConfig } from '../../src/config.js';
import { hostileNames, hostileTargets } from '../support/hostileTargets.js';
import { startHttpsReceiver, type HttpsReceiver } from '../support/httpsReceiver.js';
import { REQUEST_ID, startRoutesHarness } from '../support/routesHarness.js';

// The SSRF table at the API, with the development switch off: a URL whose host is an address
// (in any spelling) or a loopback name is refused at creation with ENDPOINT_BLOCKED and appends
// nothing; a name is accepted (no DNS at creation: what it resolves to can change), and the
// delivery-time guard refuses it when it resolves to a private address, as this machine's own
// host name does. test/scheduler/deliverSsrf.int.test.ts covers the names with a stub resolver.
const apiKey = 'hb_test_security_ssrf_key_000001';
let service: RunningService;
let receiver: HttpsReceiver;
let url: string;
let dataDir: string;

beforeAll(async () => {
  receiver = await startHttpsReceiver();
  dataDir = mkdtempSync(join(tmpdir(), 'ledgerhook-ssrf-'));
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', BOOTSTRAP_API_KEY: apiKey, SCHEDULER_POLL_MS: '100', ALLOW_PRIVATE_ENDPOINTS: 'false' });
  service = await startService(config, { logger: createLogger({ level: 'silent' }) });
  url = service.web?.url ?? '';
});
afterAll(async () => {
  await service?.stop();
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

const isName = (target: string): boolean => {
  const host = new URL(target).hostname;
  return host in hostileNames && host !== 'localhost';
};

describe('SSRF at the API', () => {
  it('holds at least 30 hostile targets', () => {
    expect(hostileTargets(receiver.port).length).toBeGreaterThanOrEqual(30);
    expect(hostileTargets(receiver.port).filter(([target]) => !isName(target)).length).toBeGreaterThanOrEqual(30);
  });

  it('refuses every address target and loopback name at creation with ENDPOINT_BLOCKED, appending nothing', async () => {
    const wrong: string[] = [];
    for (const [target] of hostileTargets(receiver.port).filter(([t]) => !isName(t))) {
      const before = await service.store.headPosition();
      const answer = await call('POST', '/v1/endpoints', { url: target });
      if (answer.status !== 400 || answer.json.error?.code !== 'ENDPOINT_BLOCKED') wrong.push(`${target}: ${answer.status} ${JSON.stringify(answer.json)}`);
      else expect(answer.json.meta.request_id).toMatch(REQUEST_ID);
      if ((await service.store.headPosition()) !== before) wrong.push(`${target}: appended an event`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses the same targets when an endpoint is updated to them', async () => {
    const created = await call('POST', '/v1/endpoints', { url: 'https://hooks.example.com/ok' });
    expect(created.status).toBe(201);
    const wrong: string[] = [];
    for (const [target] of hostileTargets(receiver.port).filter(([t]) => !isName(t))) {
      const answer = await call('PATCH', `/v1/endpoints/${created.json.data.id as string}`, { url: target });
      if (answer.status !== 400 || answer.json.error?.code !== 'ENDPOINT_BLOCKED') wrong.push(`${target}: ${answer.status}`);
    }
    expect(wrong).toEqual([]);
    expect((await call('GET', `/v1/endpoints/${created.json.data.id as string}`)).json.data.url).toBe('https://hooks.example.com/ok');
  });

  it('refuses at delivery a name that resolves to a private address, without connecting', async () => {
    const name = hostname();
    const resolved = await lookup(name).catch(() => undefined);
    // This machine's name resolves to loopback here (/etc/hosts); elsewhere the check has nothing to try.
    if (resolved === undefined || !/^(127\.|::1$)/.test(resolved.address)) return;
    const created = await call('POST', '/v1/endpoints', { url: `https://${name}:${receiver.port}/internal` });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const sent = await call('POST', '/v1/webhooks/send', { endpoint_id: created.json.data.id, payload: { probe: true } });
    expect(sent.status).toBe(202);
    const id = sent.json.data.message_id as string;
    const deadline = Date.now() + 15_000;
    let message = (await call('GET', `/v1/messages/${id}`)).json.data;
    while (['queued', 'delivering'].includes(message.status as string) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      message = (await call('GET', `/v1/messages/${id}`)).json.data;
    }
    const attempts = (await call('GET', `/v1/messages/${id}/attempts`)).json.data;
    expect(attempts[0], JSON.stringify(message)).toMatchObject({ attempt_no: 1 });
    expect(JSON.stringify(attempts[0])).toMatch(/blocked|loopback/);
    expect(message.status).toBe('failed_permanent');
    expect(receiver.connections()).toBe(0);
  });

  it('refuses cloud metadata targets even with the development switch on', async () => {
    const dev = await startRoutesHarness({ allowPrivateEndpoints: true });
    try {
      const metadata = hostileTargets(receiver.port).filter(([target, range]) => range === 'metadata' && !isName(target));
      expect(metadata.length).toBeGreaterThanOrEqual(5);
      for (const [target] of metadata) {
        const answer = await dev.request('POST', '/v1/endpoints', { body: { url: target } });
        expect(answer.body.error?.code, target).toBe('ENDPOINT_BLOCKED');
      }
      // ...while the switch does what it says for loopback.
      expect((await dev.request('POST', '/v1/endpoints', { body: { url: `https://127.0.0.1:${receiver.port}/dev` } })).status).toBe(201);
    } finally {
      await dev.close();
    }
  });
});
