import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebServer {
  readonly server: http.Server;
  readonly port: number;
  /** http://host:port, convenient for tests and logs. */
  readonly url: string;
}

export interface ListenOptions {
  /** 0 picks a free port (tests). */
  port: number;
  host?: string;
}

/** Listens and resolves once bound; the handle goes to stopWebServer. */
export async function startWebServer(app: { callback(): http.RequestListener }, options: ListenOptions): Promise<WebServer> {
  const server = http.createServer(app.callback());
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return { server, port, url: `http://${urlHost}:${port}` };
}

/**
 * Stops accepting, lets in-flight requests finish for up to graceMs, then cuts whatever
 * is left so shutdown is bounded.
 */
export async function stopWebServer(web: WebServer, graceMs = 5000): Promise<void> {
  const closed = new Promise<void>((resolve) => web.server.close(() => resolve()));
  web.server.closeIdleConnections();
  const timer = setTimeout(() => web.server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
