import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/apiClient.js';
import { useDeliveringService } from '../support/deliveringService.js';
import type { HttpsReceiver } from '../support/httpsReceiver.js';
import type { ServiceProcess } from '../support/serviceProcess.js';

// The product's core flow, through the process a user starts: register an endpoint, send,
// the first delivery fails, the message waits for a slow retry, retry-now expedites it, and
// the receiver gets a correctly signed POST.
const apiKey = 'hb_test_e2e_delivery_flow_key_0001';

interface MessageData {
  status: string;
  attempt_count: number;
  response_status?: number;
  next_attempt_at?: string;
}


describe('send -> failed attempt -> retry-now -> delivered, as a user runs it', () => {
  // An hour's wait after a failure: only retry-now can bring the message back in this test.
  const world = useDeliveringService({ BOOTSTRAP_API_KEY: apiKey, SCHEDULER_POLL_MS: '200' });
  let receiver: HttpsReceiver;
  let service: ServiceProcess;
  beforeAll(() => ({ receiver, service } = world));
  const { call: api, waitForStatus } = apiClient(() => service.url, apiKey);


  it('delivers a signed POST after retry-now expedites the scheduled retry', async () => {
    const created = await api('POST', '/v1/endpoints', { url: receiver.url('/hooks'), description: 'e2e receiver' });
    expect(created.status).toBe(201);
    const { id: endpointId, signing_secret: secret } = created.json.data as { id: string; signing_secret: string };

    receiver.reply({ status: 503 });
    const payload = { event: 'order.created', order_id: 'ord_12345', amount: 99.99, note: 'héllo ✓' };
    const sent = await api('POST', '/v1/webhooks/send', { endpoint_id: endpointId, payload, headers: { 'X-Tenant-Id': 'tenant_abc' } });
    expect(sent.status).toBe(202);
    const messageId = sent.json.data.message_id as string;

    const waiting: MessageData = await waitForStatus(messageId, 'pending_retry');
    expect(waiting.attempt_count).toBe(1);
    expect(waiting.response_status).toBe(503);
    expect(Date.parse(waiting.next_attempt_at ?? "") - Date.now()).toBeGreaterThan(3000 * 1000);

    const expedited = await api('POST', `/v1/messages/${messageId}/retry-now`);
    expect(expedited.status).toBe(200);
    expect(expedited.json).toEqual({
      message: 'Retry scheduled for immediate pickup',
      data: { message_id: messageId, status: 'pending_retry' },
      meta: { request_id: expect.stringMatching(/^req_[0-9A-HJKMNP-TV-Z]{26}$/) },
    });

    const delivered = await waitForStatus(messageId, 'succeeded');
    expect(delivered.attempt_count).toBe(2);

    const posts = receiver.requests.filter((r) => r.headers['x-webhook-id'] === messageId);
    expect(posts.map((r) => r.headers['x-webhook-attempt'])).toEqual(['1', '2']);
    const last = posts[1]!;
    expect(last.method).toBe('POST');
    expect(last.path).toBe('/hooks');
    expect(JSON.parse(last.body)).toEqual(payload);
    expect(last.headers['content-type']).toBe('application/json');
    expect(last.headers['x-tenant-id']).toBe('tenant_abc');
    const timestamp = last.headers['x-webhook-timestamp'] as string;
    const expected = createHmac('sha256', secret).update(`${timestamp}.${last.body}`).digest('hex');
    expect(last.headers['x-webhook-signature']).toBe(`sha256=${expected}`);

    const attempts = await api('GET', `/v1/messages/${messageId}/attempts`);
    expect(attempts.json.data.map((a: { attempt_no: number; response_status: number }) => [a.attempt_no, a.response_status])).toEqual([
      [1, 503],
      [2, 200],
    ]);
    // The secret is shown once, at creation, and in no log line.
    expect(service.output()).not.toContain(secret);
    expect(service.output()).not.toContain(apiKey);
  });
});
