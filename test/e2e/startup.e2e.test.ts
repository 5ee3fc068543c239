import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startServiceProcess, type ServiceProcess } from '../support/serviceProcess.js';

const unknownMessage = '01935abc-def0-7123-4567-890abcdef012';

async function retryNowStatus(url: string, key: string): Promise<number> {
  const res = await fetch(`${url}/v1/messages/${unknownMessage}/retry-now`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
  return res.status;
}

describe('starting the service as a user does', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function freshDataDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'ledgerhook-e2e-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  async function start(env: Record<string, string>): Promise<ServiceProcess> {
    const service = await startServiceProcess(env);
    cleanups.push(() => service.stop());
    return service;
  }

  it('on an empty DATA_DIR creates a default project and prints its key once; the key works', async () => {
    const dataDir = freshDataDir();
    const service = await start({ DATA_DIR: dataDir });
    const key = /API key, shown only now: (hb_live_[0-9A-Za-z]{32})/.exec(service.output())?.[1];
    expect(key).toBeDefined();
    expect(await (await fetch(`${service.url}/health`)).json()).toEqual({ status: 'ok' });
    expect(await retryNowStatus(service.url, key as string)).toBe(404); // authenticated: the message is unknown
    expect(await retryNowStatus(service.url, 'hb_live_wrong')).toBe(401);
    expect(await service.stop()).toBe(0);

    // A restart on the same store mints nothing new and keeps the key.
    const again = await start({ DATA_DIR: dataDir });
    expect(again.output()).not.toMatch(/shown only now/);
    expect(await retryNowStatus(again.url, key as string)).toBe(404);
  });

  it('on SIGTERM writes every log line before it exits: one access line per answered request, then the shutdown line', async () => {
    const key = `hb_live_${'L'.repeat(32)}`;
    const service = await start({ DATA_DIR: freshDataDir(), BOOTSTRAP_API_KEY: key });
    const answered = (await Promise.all(Array.from({ length: 300 }, () => retryNowStatus(service.url, key)))).length;
    const closed = once(service.child, 'close'); // stdout fully read, not only the process gone
    expect(await service.stop()).toBe(0);
    await closed;
    const lines = service.output().split('\n').filter((line) => line.startsWith('{'));
    expect(lines.filter((line) => line.includes('"msg":"request"') && line.includes('/retry-now'))).toHaveLength(answered);
    expect(lines.some((line) => line.includes('"msg":"shutting down"'))).toBe(true);
  });

  it('uses BOOTSTRAP_API_KEY instead of printing a generated key', async () => {
    const bootstrapKey = 'hb_test_bootstrap_key_for_automation';
    const service = await start({ DATA_DIR: freshDataDir(), BOOTSTRAP_API_KEY: bootstrapKey });
    expect(service.output()).not.toMatch(/shown only now/);
    expect(service.output()).not.toContain(bootstrapKey);
    expect(await retryNowStatus(service.url, bootstrapKey)).toBe(404);
  });

  it('accepts a key made by `projects create` while it runs, within a second', async () => {
    const dataDir = freshDataDir();
    const service = await start({ DATA_DIR: dataDir, BOOTSTRAP_API_KEY: 'hb_test_bootstrap_key_for_automation' });
    const cli = await runCli(['projects', 'create', '--name', 'acme'], { DATA_DIR: dataDir });
    expect(cli.code).toBe(0);
    const created = JSON.parse(cli.stdout) as { project_id: string; api_key: string };
    expect(created.project_id).toMatch(/^proj_[0-9a-f]{32}$/);
    expect(created.api_key).toMatch(/^hb_live_/);
    const deadline = Date.now() + 1000;
    let status = 0;
    while (Date.now() < deadline && status !== 404) {
      status = await retryNowStatus(service.url, created.api_key);
      if (status !== 404) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(404);
  });

  it('refuses a bad configuration naming the variable', async () => {
    await expect(startServiceProcess({ DATA_DIR: freshDataDir(), PORT: 'eighty', MAX_ATTEMPTS: '0' }, 15_000)).rejects.toThrow(/PORT[\s\S]*MAX_ATTEMPTS|MAX_ATTEMPTS[\s\S]*PORT/);
  });
});
