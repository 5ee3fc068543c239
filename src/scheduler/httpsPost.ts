import type { Agent } from 'node:https';
import { request as httpsRequest } from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { LookupFunction } from 'node:net';
import type { DeliveryErrorReason, DeliveryOutcome } from './deliveryOutcome.js';
import { BodyExcerpt, captureHeaders } from './responseCapture.js';
import type { CaptureLimits } from './responseCapture.js';

/**
 * One HTTPS POST on an already checked address, turned into an outcome. deliver.ts owns the
 * order of things (URL, headers, SSRF guard, the one retry); this file owns the socket.
 */
export interface PostParams {
  url: URL;
  body: string;
  requestHeaders: Record<string, string>;
  /** The address the SSRF guard checked: the only one this request may connect to. */
  address: string;
  family: 4 | 6;
  agent: Agent;
  ca: string | Buffer | undefined;
  connectTimeoutMs: number;
  timeoutMs: number;
  maxResponseBytes: number;
  limits: CaptureLimits;
  elapsed: () => number;
  /** Hands over the abort to run when the attempt's one deadline passes. */
  armDeadline: (abort: () => void) => void;
}

export interface Sent {
  outcome: DeliveryOutcome;
  /** Failed with a reset on a reused keep-alive connection before any answer. */
  staleConnection: boolean;
}

export class DeliveryTimeout extends Error {
  override readonly name = 'DeliveryTimeout';
}

export function postOnce(params: PostParams): Promise<Sent> {
  const { url, body, requestHeaders, address, family, elapsed, armDeadline, limits } = params;
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
        agent: params.agent,
        lookup: pinned,
        ...(params.ca === undefined ? {} : { ca: params.ca }),
      });
    } catch (error) {
      finish({ kind: 'error', reason: 'invalid_request', message: (error as Error).message, latencyMs: elapsed(), requestHeaders });
      return;
    }

    req.on('socket', (socket) => {
      if (!socket.connecting) return; // a reused keep-alive connection
      connectTimer = setTimeout(() => req.destroy(new DeliveryTimeout(`no TLS connection within ${params.connectTimeoutMs} ms`)), params.connectTimeoutMs);
      socket.once('secureConnect', () => clearTimeout(connectTimer));
    });

    // Once the response head is in, the answer stands: the deadline or a broken body only
    // ends the read, with what arrived so far.
    let answered: (() => void) | undefined;
    armDeadline(() => {
      if (answered) answered();
      req.destroy(new DeliveryTimeout(`no response within ${params.timeoutMs} ms`));
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
        if (excerpt.received > params.maxResponseBytes) {
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
