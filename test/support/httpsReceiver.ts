import { createServer } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { testCertificate } from './testCertificate.js';

/**
 * A webhook receiver for tests: HTTPS on 127.0.0.1 with the test certificate, recording every
 * request and answering per a script. Replies are taken in order; when the script runs out the
 * default reply (200 by default) answers.
 */
export type Reply =
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  /** Read the request, never answer (until the receiver closes). */
  | { hang: true }
  /** Read the request, then reset the TCP connection without answering. */
  | { reset: true };

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
  /** Which TLS connection carried it, numbered from 1 in handshake order. */
  connection: number;
}

export interface HttpsReceiver {
  port: number;
  url(path?: string): string;
  requests: ReceivedRequest[];
  /** TCP connections accepted so far (TLS or not). */
  connections(): number;
  reply(...replies: (Reply | ((request: ReceivedRequest) => Reply))[]): void;
  setDefault(reply: Reply): void;
  close(): Promise<void>;
}

export async function startHttpsReceiver(): Promise<HttpsReceiver> {
  const { cert, key } = testCertificate();
  const requests: ReceivedRequest[] = [];
  const script: (Reply | ((request: ReceivedRequest) => Reply))[] = [];
  let fallback: Reply = { status: 200, body: '{"ok":true}' };
  const sockets = new Map<Socket, number>();
  let accepted = 0;

  const server = createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
        connection: secureNumbers.get(req.socket) ?? 0,
      };
      requests.push(received);
      const next = script.shift() ?? fallback;
      const reply = typeof next === 'function' ? next(received) : next;
      if ('hang' in reply) return;
      if ('reset' in reply) {
        // RST needs the TCP socket under the TLS one; they share the client's port.
        const tcp = [...sockets.keys()].find((s) => s.remotePort === req.socket.remotePort);
        (tcp ?? req.socket).resetAndDestroy();
        return;
      }
      const answer = (): void => {
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body ?? '');
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  server.on('connection', (socket: Socket) => {
    accepted += 1;
    sockets.set(socket, accepted);
    socket.once('close', () => sockets.delete(socket));
  });
  // Requests ride on the TLS socket wrapping the TCP one: number those in handshake order.
  let secured = 0;
  const secureNumbers = new WeakMap<object, number>();
  server.on('secureConnection', (tls) => {
    secured += 1;
    secureNumbers.set(tls, secured);
  });
  server.on('tlsClientError', () => {
    // A client that refuses our certificate: expected in TLS-failure tests.
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    port,
    url: (path = '/webhook') => `https://127.0.0.1:${port}${path}`,
    requests,
    connections: () => accepted,
    reply: (...replies) => {
      script.push(...replies);
    },
    setDefault: (reply) => {
      fallback = reply;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets.keys()) socket.destroy();
      }),
  };
}
