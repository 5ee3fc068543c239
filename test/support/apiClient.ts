/**
 * A caller of a running service's API with one key, for tests that start the service as a
 * process: JSON in and out, and a wait for a message to reach a status.
 */
// Response bodies are checked field by field by the tests; their shape is the API's contract.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ApiClient {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }>;
  /** Polls GET /v1/messages/{id} until its status is `status`; `context` adds to the timeout error. */
  waitForStatus(id: string, status: string, timeoutMs?: number, context?: () => string): Promise<Json>;
}

/** `baseUrl` is read on each call, so a client can be made before the service it talks to starts. */
export function apiClient(baseUrl: () => string, key: string): ApiClient {
  const call: ApiClient['call'] = async (method, path, body) => {
    const res = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: await res.json() };
  };
  return {
    call,
    async waitForStatus(id, status, timeoutMs = 20_000, context) {
      const deadline = Date.now() + timeoutMs;
      let last: Json;
      while (Date.now() < deadline) {
        last = (await call('GET', `/v1/messages/${id}`)).json;
        if (last?.data?.status === status) return last.data;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`message ${id} did not reach ${status}; last seen ${JSON.stringify(last)}${context ? `\n${context()}` : ''}`);
    },
  };
}
