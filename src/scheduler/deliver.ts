import { request as httpsRequest } from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createAgentPool } from './agentPool.js';
import { buildRequestHeaders, InvalidHeaderError } from './requestHeaders.js';
import { BodyExcerpt, captureHeaders } from './responseCapture.js';
import { resolveAndCheck } from './ssrfGuard.js';
import type { Lookup } from './ssrfGuard.js';

/**
 * One delivery attempt: a signed HTTPS POST to an endpoint, reduced to a plain outcome the
 * scheduler records. It never throws for anything the receiver or the network does, and it logs
 * nothing (the caller logs outcomes; secrets never leave this module except as signatures).
 */
export interface DeliveryRequest {
  url: string;
  /** The raw payload, sent byte for byte and signed as is. */
  body: string;
  endpointHeaders?: Readonly<Record<string, string>>;
  /** Per-send headers: win over the endpoint's on a clash (see requestHeaders.ts). */
  messageHeaders?: Readonly<Record<string, string>>;
  /** The endpoint's active signing secrets (whsec_...), each producing one signature. */
  secrets: readonly string[];
  messageId: string;
  attemptNo: number;
  /** The attempt's clock reading; X-Webhook-Timestamp is its whole seconds. */
  now: Date;
}

export type DeliveryErrorReason = 'timeout' | 'network' | 'dns' | 'blocked' | 'tls' | 'invalid_url' | 'invalid_request';

export type DeliveryOutcome =
  | {
      kind: 'response';
      status: number;
      /** Milliseconds from the start of the attempt to the response head (DNS, connect, TLS included). */
      latencyMs: number;
      headers: Record<string, string>;
      headersTruncated: boolean;
      bodyExcerpt: string;
      bodyTruncated: boolean;
      /** The raw Retry-After header, if any; the retry policy parses it. */
      retryAfter: string | undefined;
      resolvedIp: string;
      requestHeaders: Record<string, string>;
    }
  | {
      kind: 'error';
      reason: DeliveryErrorReason;
      message: string;
      latencyMs: number;
      resolvedIp?: string;
      /** Present once the request could be built (every reason but invalid_url/invalid_request). */
      requestHeaders?: Record<string, string>;
    };

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

interface Sent {
  outcome: DeliveryOutcome;
  /** Failed with a reset on a reused keep-alive connection before any answer. */
  staleConnection: boolean;
}

class DeliveryTimeout extends Error {
  override readonly name = 'DeliveryTimeout';
}

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
      const attempt = (): Promise<Sent> =>
        send(url, input.body, requestHeaders, guard.address, guard.family, elapsed, (abort) => {
          onDeadline = abort;
          if (timedOut) abort();
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

  function send(
    url: URL,
    body: string,
    requestHeaders: Record<string, string>,
    address: string,
    family: 4 | 6,
    elapsed: () => number,
    armDeadline: (abort: () => void) => void,
  ): Promise<Sent> {
    return new Promise((resolve) => {
      const hostname = url.hostname.replace(/^\[|\]$/g, '');
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined;
      const finish = (outcome: DeliveryOutcome, staleConnection = false): void => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        resolve({ outcome, staleConnection });
      };

      // Connect to the checked address only: net.connect asks this instead of DNS, so the name is
      // never resolved a second time. Host header, SNI and certificate checks keep the hostname.
      const pinned: LookupFunction = (_name, lookupOptions, callback) => {
        if (lookupOptions.all) callback(null, [{ address, family }]);
        else callback(null, address, family);
      };

      let req: ClientRequest;
      try {
        req = httpsRequest({
          protocol: 'https:',
          hostname,
          port: url.port === '' ? 443 : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: { ...requestHeaders, 'Content-Length': String(Buffer.byteLength(body)) },
          agent: agents.get(url.origin),
          lookup: pinned,
          ...(options.ca === undefined ? {} : { ca: options.ca }),
        });
      } catch (error) {
        finish({ kind: 'error', reason: 'invalid_request', message: (error as Error).message, latencyMs: elapsed(), requestHeaders });
        return;
      }

      req.on('socket', (socket) => {
        if (!socket.connecting) return; // a reused keep-alive connection
        connectTimer = setTimeout(() => req.destroy(new DeliveryTimeout(`no TLS connection within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
        socket.once('secureConnect', () => clearTimeout(connectTimer));
      });

      // Once the response head is in, the answer stands: the deadline or a broken body only
      // ends the read, with what arrived so far.
      let answered: (() => void) | undefined;
      armDeadline(() => {
        if (answered) answered();
        req.destroy(new DeliveryTimeout(`no response within ${options.timeoutMs} ms`));
      });

      req.on('error', (error) => {
        if (answered) return answered();
        const code = (error as NodeJS.ErrnoException).code;
        const stale = req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE');
        finish({ kind: 'error', ...classify(error), latencyMs: elapsed(), resolvedIp: req.socket?.remoteAddress ?? address, requestHeaders }, stale);
      });

      req.on('response', (res: IncomingMessage) => {
        const latencyMs = elapsed();
        const resolvedIp = res.socket?.remoteAddress ?? address;
        const { headers, truncated: headersTruncated } = captureHeaders(res.rawHeaders, limits);
        const retryAfter = res.headers['retry-after'];
        const excerpt = new BodyExcerpt(limits.excerptBytes);
        const done = (): void =>
          finish({
            kind: 'response',
            status: res.statusCode ?? 0,
            latencyMs,
            headers,
            headersTruncated,
            bodyExcerpt: excerpt.value,
            bodyTruncated: excerpt.truncated || !res.complete,
            retryAfter,
            resolvedIp,
            requestHeaders,
          });
        answered = done;
        res.on('data', (chunk: Buffer) => {
          excerpt.push(chunk);
          // A body past the limit costs the connection, not the memory: stop reading.
          if (excerpt.received > maxResponseBytes) {
            done();
            res.destroy();
          }
        });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      });

      req.end(body);
    });
  }

  return { deliver, close: () => agents.destroy() };
}

const tlsCodes = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_OSSL_)|_CERT_|_CERTIFICATE/;

function classify(error: Error): { reason: DeliveryErrorReason; message: string } {
  if (error instanceof DeliveryTimeout) return { reason: 'timeout', message: error.message };
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (tlsCodes.test(code) || (error as { library?: string }).library === 'SSL routines') {
    return { reason: 'tls', message: `TLS: ${error.message}${code ? ` (${code})` : ''}` };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { reason: 'dns', message: error.message };
  return { reason: 'network', message: `${error.message}${code && !error.message.includes(code) ? ` (${code})` : ''}` };
}
