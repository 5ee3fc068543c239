import { createServer, type RequestListener } from 'node:http';

/**
 * The bench's own servers: listen on PORT at 127.0.0.1, tell the parent on stdout, and
 * exit cleanly on SIGTERM (so `node --cpu-prof` writes its profile).
 */
export function listenAndAnnounce(handler: RequestListener, onClose: () => void = () => undefined): void {
  const server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => process.stdout.write('listening\n'));
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    onClose();
    process.exit(0);
  });
}
