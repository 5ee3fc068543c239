import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { testCertificate } from '../../support/testCertificate.js';

/**
 * A webhook receiver for the crash and concurrency suites: HTTPS on 127.0.0.1 with the test
 * certificate, answering 500 to a share of requests (chosen by a seeded generator, so a run
 * can be repeated) and recording each request's X-Webhook-Id and X-Webhook-Attempt. A
 * request is recorded when its body has arrived, before the answer: what a receiver that
 * dedupes would store.
 */
export interface SeenAttempt {
  readonly messageId: string;
  readonly attempt: number;
  readonly path: string;
  readonly status: number;
}

export interface FlakyReceiver {
  readonly url: string;
  urlFor(path: string): string;
  readonly seen: SeenAttempt[];
  close(): Promise<void>;
}

/** mulberry32: a tiny seeded generator, enough to make a run's choices repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FlakyOptions {
  readonly failShare: number;
  readonly seed: number;
  readonly delayMs?: number;
  /** What a failed share answers: 500 by default; 429 to get the fast retry schedule. */
  readonly failStatus?: number;
  /** Requests to this path always answer 500. */
  readonly alwaysFailPath?: string;
}

export async function startFlakyReceiver(options: FlakyOptions): Promise<FlakyReceiver> {
  const { cert, key } = testCertificate();
  const random = seededRandom(options.seed);
  const seen: SeenAttempt[] = [];
  const sockets = new Set<Socket>();
  const server = createServer({ cert, key }, (req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '';
      const status = path === options.alwaysFailPath ? 500 : random() < options.failShare ? (options.failStatus ?? 500) : 200;
      seen.push({ messageId: String(req.headers['x-webhook-id']), attempt: Number(req.headers['x-webhook-attempt']), path, status });
      const answer = (): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 200 ? '{"ok":true}' : '{"error":"flaky"}');
      };
      if (options.delayMs) setTimeout(answer, options.delayMs);
      else answer();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => {
    // A client killed mid-handshake: expected when the service is killed with -9.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/hook`,
    urlFor: (path) => `https://127.0.0.1:${port}${path}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
