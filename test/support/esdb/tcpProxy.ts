/**
 * A loopback TCP relay in front of the test server, so a test can cut connections the
 * way a crashed node or a broken network does (sockets gone, no gRPC goodbye), which
 * the client reports as UnavailableError rather than the CancelledError of a shutdown.
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Destroys every relayed connection at once, without closing the listener. */
  cut(): void;
  /** Stops listening and ends the relayed connections. */
  close(): Promise<void>;
}

export async function startTcpProxy(listenPort: number, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  // No Nagle on either leg: small gRPC frames must not wait for delayed ACKs.
  const server = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.connect({ port: targetPort, host: '127.0.0.1', noDelay: true });
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    // Pass a close on politely (flushing what is in flight, e.g. a server's stream resets).
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.end());
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : listenPort);
    });
  });
  const cut = (): void => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    port,
    cut,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.end();
        // Half-closed peers must not keep the listener from closing.
        setTimeout(cut, 100).unref();
      }),
  };
}
