/**
 * An in-process stand-in for an EventStoreDB 24.10 node, for tests only: a @grpc/grpc-js
 * server built on the service definitions the client package ships, over an in-memory
 * log, speaking the protocol subset in /work/shared/eventstoredb-notes.md well enough
 * that the real @eventstore/db-client works against it unchanged.
 *
 * `stop()` shuts the node down: open calls are cancelled (the client sees
 * CancelledError, as on a graceful shutdown); `stop('crash')` instead drops the TCP
 * connections first (the client sees UnavailableError, as on a crash or a network
 * cut). Either way the port then refuses connections until `start()`/`restart()`
 * listen on the same port again, with the same log. Clients connect through a small
 * TCP relay on that port (tcpProxy.ts), which is what makes the crash possible.
 */
import type { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import serverFeaturesGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import serverFeaturesPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import { createAppendHandler, createBatchAppendHandler } from './appendHandlers.js';
import { MemoryLog } from './memoryLog.js';
import { createReadHandler } from './readHandler.js';
import { startTcpProxy } from './tcpProxy.js';
import { serverError } from './wire.js';
import type { TcpProxy } from './tcpProxy.js';

export interface EsdbTestServerOptions {
  /**
   * Advertise Streams/BatchAppend through ServerFeatures (the client then appends with
   * BatchAppend). Without it ServerFeatures answers UNIMPLEMENTED and the client uses Append.
   */
  readonly batchAppend?: boolean;
  /** Write a `$statsCollected` system event after every N user appends (0: never). Default 3. */
  readonly systemEventEvery?: number;
  /** Port to listen on; default 0 (any free port, kept across restarts). */
  readonly port?: number;
}

export interface EsdbTestServer {
  readonly port: number;
  /** `esdb://127.0.0.1:<port>?tls=false` */
  readonly connectionString: string;
  readonly log: MemoryLog;
  /** How many calls of each append method arrived (to check which path the client took). */
  readonly calls: { append: number; batchAppend: number };
  /**
   * The next `count` appends are refused as a follower refuses them: `not-leader`, naming
   * this node as the leader, so the client reconnects here (a leader change, in small).
   */
  refuseAppendsAsFollower(count: number): void;
  /** Ends all open calls and stops listening; the log is kept. */
  stop(how?: StopMode): Promise<void>;
  /** Listens again on the same port, with the same log. */
  start(): Promise<void>;
  restart(how?: StopMode): Promise<void>;
}

/** 'shutdown': calls are cancelled by the server; 'crash': connections just vanish. */
export type StopMode = 'shutdown' | 'crash';

const SERVER_VERSION = '24.10.0';
const STATS_STREAM = '$stats-127.0.0.1:2113';

export async function startEsdbTestServer(options: EsdbTestServerOptions = {}): Promise<EsdbTestServer> {
  const log = new MemoryLog();
  seedSystemRecords(log);
  const every = options.systemEventEvery ?? 3;
  let userWrites = 0;
  log.onWrite(() => {
    const last = log.records[log.records.length - 1];
    if (every <= 0 || !last || last.stream.startsWith('$')) return;
    userWrites += 1;
    if (userWrites % every === 0) log.appendSystem(STATS_STREAM, '$statsCollected');
  });

  let port = options.port ?? 0;
  let server: grpc.Server | undefined;
  let proxy: TcpProxy | undefined;
  const calls = new Set<{ cancel: () => void }>();
  const counts = { append: 0, batchAppend: 0 };
  let refusals = 0;
  const refusal = (): Partial<grpc.StatusObject> | undefined => {
    if (refusals <= 0) return undefined;
    refusals -= 1;
    return serverError(grpc.status.NOT_FOUND, 'Leader info available', 'not-leader', { 'leader-endpoint-host': '127.0.0.1', 'leader-endpoint-port': String(port) });
  };

  const start = async (): Promise<void> => {
    if (server) return;
    const next = new grpc.Server();
    /**
     * Remembers an open call so stop() can end it. Calls that can carry a status get
     * CANCELLED with trailers first, as a node shutting down gracefully does; all of them
     * are then marked cancelled so handlers waiting for live events let go.
     */
    const track = (call: EventEmitter, endsWithStatus: boolean): (() => void) => {
      const entry = {
        cancel: () => {
          if (endsWithStatus) call.emit('error', { code: grpc.status.CANCELLED, details: 'The server is shutting down' });
          call.emit('cancelled', 'server stopped');
        },
      };
      calls.add(entry);
      return () => calls.delete(entry);
    };
    next.addService(streamsGrpc.StreamsService, {
      read: createReadHandler(log, (call) => track(call, true)),
      append: createAppendHandler(log, (call) => {
        counts.append += 1;
        return track(call, false);
      }, refusal),
      batchAppend: createBatchAppendHandler(log, (call) => {
        counts.batchAppend += 1;
        return track(call, true);
      }, refusal),
    });
    if (options.batchAppend) next.addService(serverFeaturesGrpc.ServerFeaturesService, { getSupportedMethods: supportedMethods });
    const internalPort = await new Promise<number>((resolve, reject) => {
      next.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
    });
    server = next;
    proxy = await startTcpProxy(port, internalPort);
    port = proxy.port;
  };

  const stop = async (how: StopMode = 'shutdown'): Promise<void> => {
    const current = server;
    const relay = proxy;
    server = undefined;
    proxy = undefined;
    if (!current || !relay) return;
    if (how === 'crash') relay.cut();
    for (const call of [...calls]) call.cancel();
    calls.clear();
    if (how === 'shutdown') {
      // Graceful: the connections close only once the cancellations' trailers are out
      // (a call whose client stopped reading never drains: cut it after a while).
      await new Promise<void>((resolve) => {
        const giveUp = setTimeout(() => {
          current.forceShutdown();
          resolve();
        }, 1_000);
        current.tryShutdown(() => {
          clearTimeout(giveUp);
          resolve();
        });
      });
    } else {
      current.forceShutdown();
    }
    await relay.close();
  };

  await start();
  return {
    get port() {
      return port;
    },
    get connectionString() {
      return `esdb://127.0.0.1:${port}?tls=false`;
    },
    log,
    calls: counts,
    refuseAppendsAsFollower: (count: number) => {
      refusals = count;
    },
    start,
    stop,
    restart: async (how?: StopMode) => {
      await stop(how);
      await start();
    },
  };
}

const supportedMethods: grpc.handleUnaryCall<unknown, InstanceType<typeof serverFeaturesPb.SupportedMethods>> = (_call, callback) => {
  const methods = ['read', 'append', 'batchappend'].map((name) => {
    const method = new serverFeaturesPb.SupportedMethod();
    method.setServiceName('event_store.client.streams.streams');
    method.setMethodName(name);
    return method;
  });
  const result = new serverFeaturesPb.SupportedMethods();
  result.setMethodsList(methods);
  result.setEventStoreServerVersion(SERVER_VERSION);
  callback(null, result);
};

/** What a fresh node holds before any user write: a few system streams and a `$metadata` event. */
function seedSystemRecords(log: MemoryLog): void {
  log.appendSystem('$users', '$UserCreated');
  log.appendSystem('$user-admin', '$User');
  log.appendSystem('$$$scavenges', '$metadata');
  log.appendSystem('$settings', '$update-default-acl');
}
