import { beforeAll, describe, expect, it } from 'vitest';
import { useDeliveringService } from '../support/deliveringService.js';
import type { HttpsReceiver } from '../support/httpsReceiver.js';
import type { ServiceProcess } from '../support/serviceProcess.js';

// A whole scenario through the process a user starts, with debug logging: mint API keys and
// signing secrets, deliver signed messages (one after a failure and retry-now), read everything
// back, fail authentication, then search every log line and every response for each secret.
// A secret may appear in exactly one response: the one that created it. Last, repeated failed
// authentication from one client is refused with 429 RATE_LIMITED.
const bootstrapKey = 'hb_test_security_bootstrap_key_0001';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('secrets stay secret, and guessing keys is rate limited', () => {
  const world = useDeliveringService({ BOOTSTRAP_API_KEY: bootstrapKey, LOG_LEVEL: 'debug', SCHEDULER_POLL_MS: '100' });
  let receiver: HttpsReceiver;
  let service: ServiceProcess;
  beforeAll(() => ({ receiver, service } = world));
  /** Every response body of the scenario, by the request that got it. */
  const responses: { call: string; text: string }[] = [];


  async function call(key: string, method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<{ status: number; json: Json; headers: Headers }> {
    const res = await fetch(`${service.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...extra },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    responses.push({ call: `${method} ${path}`, text });
    return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as Json), headers: res.headers };
  }

  async function waitFor(key: string, id: string, status: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if ((await call(key, 'GET', `/v1/messages/${id}`)).json?.data?.status === status) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`message ${id} did not reach ${status}`);
  }

  it('shows each API key and signing secret once, in the response that creates it, and logs none', async () => {
    const minted = await call(bootstrapKey, 'POST', '/v1/api-keys', { label: 'security suite' });
    expect(minted.status).toBe(201);
    const apiKey = minted.json.data.key as string;
    const created = await call(apiKey, 'POST', '/v1/endpoints', { url: receiver.url('/secure'), headers: { 'X-Team': 'sec' } });
    expect(created.status).toBe(201);
    const endpointId = created.json.data.id as string;
    const firstSecret = created.json.data.signing_secret as string;
    const rotated = await call(apiKey, 'POST', `/v1/endpoints/${endpointId}/signing-keys`);
    expect(rotated.status).toBe(201);
    const secondSecret = rotated.json.data.signing_secret as string;
    const secrets: Record<string, { value: string; createdBy: string }> = {
      'bootstrap key': { value: bootstrapKey, createdBy: '(configuration)' },
      'minted key': { value: apiKey, createdBy: 'POST /v1/api-keys' },
      'first signing secret': { value: firstSecret, createdBy: 'POST /v1/endpoints' },
      'second signing secret': { value: secondSecret, createdBy: `POST /v1/endpoints/${endpointId}/signing-keys` },
    };
    for (const { value } of Object.values(secrets)) expect(value.length).toBeGreaterThanOrEqual(16);

    receiver.reply({ status: 500 });
    const first = await call(apiKey, 'POST', '/v1/webhooks/send', { endpoint_id: endpointId, payload: { order: 1 }, headers: { 'X-Trace': 't1' } });
    expect(first.status).toBe(202);
    const firstId = first.json.data.message_id as string;
    await waitFor(apiKey, firstId, 'pending_retry');
    expect((await call(apiKey, 'POST', `/v1/messages/${firstId}/retry-now`)).status).toBe(200);
    await waitFor(apiKey, firstId, 'succeeded');
    const second = await call(apiKey, 'POST', '/v1/webhooks/send', { endpoint_id: endpointId, payload: { order: 2 } });
    await waitFor(apiKey, second.json.data.message_id as string, 'succeeded');
    expect(receiver.requests.length).toBeGreaterThanOrEqual(3);

    // Read back everything a caller can read.
    for (const path of [
      `/v1/endpoints/${endpointId}`,
      '/v1/endpoints',
      `/v1/endpoints/${endpointId}/signing-keys`,
      '/v1/api-keys',
      `/v1/messages/${firstId}`,
      `/v1/messages/${firstId}/attempts`,
      `/v1/messages/${firstId}/events`,
      '/v1/logs',
      '/v1/dlq/messages',
      '/v1/metrics',
    ]) {
      expect((await call(apiKey, 'GET', path)).status, path).toBe(200);
    }
    for (const path of ['/metrics', '/openapi.json', '/health', '/ready']) {
      const res = await fetch(`${service.url}${path}`);
      responses.push({ call: `GET ${path}`, text: await res.text() });
    }
    // A near miss of a real key (a typo) is as sensitive as the key itself.
    const typo = `${apiKey.slice(0, -1)}${apiKey.endsWith('a') ? 'b' : 'a'}`;
    secrets['mistyped key'] = { value: typo, createdBy: '(nobody)' };
    expect((await call(typo, 'GET', '/v1/endpoints')).status).toBe(401);

    await new Promise((resolve) => setTimeout(resolve, 300)); // let the last log lines flush
    const output = service.output();
    expect(output).toContain('"msg"'); // the capture did see the service's log lines
    const leaks: string[] = [];
    for (const [name, { value, createdBy }] of Object.entries(secrets)) {
      if (output.includes(value)) leaks.push(`${name} in the log: ${output.split('\n').find((line) => line.includes(value))?.slice(0, 300)}`);
      for (const r of responses) if (r.text.includes(value) && r.call !== createdBy) leaks.push(`${name} in the response to ${r.call}`);
    }
    expect(leaks).toEqual([]);
    expect(responses.filter((r) => r.text.includes(firstSecret)).map((r) => r.call)).toEqual(['POST /v1/endpoints']);
    expect(responses.filter((r) => r.text.includes(apiKey)).map((r) => r.call)).toEqual(['POST /v1/api-keys']);
  });

  it('answers repeated failed authentication with 429 RATE_LIMITED', async () => {
    const statuses: number[] = [];
    let limited: { status: number; json: Json; headers: Headers } | undefined;
    for (let i = 0; i < 40 && limited === undefined; i += 1) {
      // A different X-Forwarded-For on every guess: not behind a proxy, it must not pass for a new client.
      const answer = await call(`hb_guess_${String(i).padStart(4, '0')}_not_a_real_key`, 'GET', '/v1/endpoints', undefined, { 'x-forwarded-for': `203.0.113.${i + 1}` });
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(limited, `statuses: ${statuses.join(',')}`).toBeDefined();
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect(limited?.json).toEqual({
      error: { code: 'RATE_LIMITED', message: expect.any(String), details: expect.anything() },
      meta: { request_id: expect.stringMatching(/^req_/) },
    });
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    // The next guess is refused too, without checking the key.
    expect((await call('hb_guess_after_the_limit_000000', 'GET', '/v1/endpoints')).status).toBe(429);
  });
});
