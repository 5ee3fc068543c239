import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { createAgentPool } from './agentPool.js';
import type { DeliveryOutcome, DeliveryRequest } from './deliveryOutcome.js';
import { postOnce } from './httpsPost.js';
import { buildRequestHeaders, InvalidHeaderError } from './requestHeaders.js';
import { resolveAndCheck } from './ssrfGuard.js';
import type { Lookup } from './ssrfGuard.js';

/**
 * One delivery attempt: a signed HTTPS POST to an endpoint, reduced to a plain outcome the
 * scheduler records. It never throws for anything the receiver or the network does, and it logs
 * nothing (the caller logs outcomes; secrets never leave this module except as signatures).
 */
export type { DeliveryErrorReason, DeliveryOutcome, DeliveryRequest } from './deliveryOutcome.js';

export interface DelivererOptions {
  /** DELIVERY_TIMEOUT_MS: the whole attempt, DNS to the last byte read. */
  timeoutMs: number;
  /** DELIVERY_CONNECT_TIMEOUT_MS: TCP connect plus TLS handshake of a new connection. */
  connectTimeoutMs: number;
  /** ALLOW_PRIVATE_ENDPOINTS: the development switch of the SSRF guard. */
  allowPrivate: boolean;
  /** Injected resolver (tests); default dns.lookup with all addresses. */
  lookup?: Lookup;
  /** Extra trust roots (tests). Unset: Node's roots plus NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer;
  /** Body bytes read before the connection is dropped; a body within it keeps the socket alive. */
  maxResponseBytes?: number;
  excerptBytes?: number;
  maxResponseHeaders?: number;
  maxResponseHeaderBytes?: number;
  maxAgents?: number;
  idleSocketMs?: number;
  userAgent?: string;
}

export interface Deliverer {
  deliver(request: DeliveryRequest): Promise<DeliveryOutcome>;
  /** Closes every pooled connection (shutdown, tests). */
  close(): void;
}

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function createDeliverer(options: DelivererOptions): Deliverer {
  const maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
  const limits = {
    excerptBytes: options.excerptBytes ?? 1024,
    maxHeaders: options.maxResponseHeaders ?? 50,
    maxHeaderBytes: options.maxResponseHeaderBytes ?? 4096,
  };
  const userAgent = options.userAgent ?? `ledgerhook/${version}`;
  const agents = createAgentPool({ maxAgents: options.maxAgents ?? 1000, idleSocketMs: options.idleSocketMs ?? 4000 });

  async function deliver(input: DeliveryRequest): Promise<DeliveryOutcome> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);

    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      return { kind: 'error', reason: 'invalid_url', message: 'the endpoint URL cannot be parsed', latencyMs: elapsed() };
    }
    if (url.protocol !== 'https:') return { kind: 'error', reason: 'invalid_url', message: 'the endpoint URL must use https', latencyMs: elapsed() };
    if (url.username || url.password) {
      return { kind: 'error', reason: 'invalid_url', message: 'the endpoint URL must not carry credentials', latencyMs: elapsed() };
    }

    let requestHeaders: Record<string, string>;
    try {
      requestHeaders = buildRequestHeaders({ ...input, timestampSeconds: Math.floor(input.now.getTime() / 1000), userAgent });
    } catch (error) {
      if (error instanceof InvalidHeaderError || error instanceof RangeError) {
        return { kind: 'error', reason: 'invalid_request', message: error.message, latencyMs: elapsed() };
      }
      throw error;
    }

    // One deadline for the whole attempt, the DNS look-up included.
    let onDeadline: (() => void) | undefined;
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      onDeadline?.();
    }, options.timeoutMs);
    try {
      const hostname = url.hostname;
      const guard = await Promise.race([
        resolveAndCheck(hostname, { allowPrivate: options.allowPrivate, ...(options.lookup ? { lookup: options.lookup } : {}) }),
        new Promise<'timeout'>((resolve) => {
          onDeadline = () => resolve('timeout');
          if (timedOut) resolve('timeout');
        }),
      ]);
      if (guard === 'timeout') {
        return { kind: 'error', reason: 'timeout', message: `no DNS answer within ${options.timeoutMs} ms`, latencyMs: elapsed(), requestHeaders };
      }
      if (!guard.ok) {
        return {
          kind: 'error',
          reason: guard.reason,
          message: guard.message,
          latencyMs: elapsed(),
          ...(guard.reason === 'blocked' ? { resolvedIp: guard.address } : {}),
          requestHeaders,
        };
      }
      const attempt = (): ReturnType<typeof postOnce> =>
        postOnce({
          url,
          body: input.body,
          requestHeaders,
          address: guard.address,
          family: guard.family,
          agent: agents.get(url.origin),
          ca: options.ca,
          connectTimeoutMs: options.connectTimeoutMs,
          timeoutMs: options.timeoutMs,
          maxResponseBytes,
          limits,
          elapsed,
          armDeadline: (abort) => {
            onDeadline = abort;
            if (timedOut) abort();
          },
        });
      const first = await attempt();
      // A pooled connection the receiver closed while it sat idle fails at once with a reset;
      // one fresh connection is tried before that counts as a network failure (which would cost
      // a slow retry). Receivers deduplicate on X-Webhook-Id if the first one did get through.
      if (!first.staleConnection || timedOut) return first.outcome;
      agents.dropIdle(url.origin);
      return (await attempt()).outcome;
    } finally {
      clearTimeout(deadline);
    }
  }

  return { deliver, close: () => agents.destroy() };
}
