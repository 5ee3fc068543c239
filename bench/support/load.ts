/**
 * One autocannon run and the figures the bench prints. Counts every non-2xx answer and
 * transport error, so a case that measured failures cannot pass as a fast one.
 */
import autocannon from 'autocannon';

export interface LoadOptions {
  readonly url: string;
  readonly seconds: number;
  readonly connections: number;
  readonly method: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Path of the next request; null when the ids ran out (the run then stops early). */
  readonly nextPath: () => string | null;
}

export interface LoadFigures {
  /** 2xx answers per second over the whole run. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly statusCodes: Record<string, number>;
  /** True when nextPath ran out before the duration ended. */
  readonly exhausted: boolean;
  /**
   * Requests handed to the server whose answer the run did not wait for: autocannon stops
   * with up to one request in flight per connection, which the server still carries out.
   */
  readonly cutOff: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  let exhausted = false;
  let issued = 0;
  let answered = 0;
  // Without a callback autocannon returns its instance, which is also a promise of the result.
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    method: options.method,
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(options.body === undefined ? {} : { body: options.body }),
    requests: [
      {
        setupRequest: (request) => {
          const path = options.nextPath();
          if (path === null) {
            if (!exhausted) {
              exhausted = true;
              (instance as unknown as { stop(): void }).stop();
            }
            return request;
          }
          issued += 1;
          return { ...request, path };
        },
        onResponse: () => {
          answered += 1;
        },
      },
    ],
  });
  const result = await instance;
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = Number((stat as { count: number | string }).count);
  const ok = result['2xx'];
  return {
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
    statusCodes,
    exhausted,
    cutOff: issued - answered,
  };
}
