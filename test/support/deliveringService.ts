import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startHttpsReceiver, type HttpsReceiver } from './httpsReceiver.js';
import { startServiceProcess, type ServiceProcess } from './serviceProcess.js';
import { testCertificate } from './testCertificate.js';

export interface DeliveringService {
  readonly service: ServiceProcess;
  readonly receiver: HttpsReceiver;
}

/**
 * For a describe block: the service as a user starts it, on an empty DATA_DIR, delivering to
 * a local HTTPS receiver (loopback allowed, the receiver's test certificate trusted), with a
 * failed delivery waiting an hour so only retry-now brings it back. Started before the
 * block's tests, stopped and removed after them. Read the fields in a test or a later hook.
 */
export function useDeliveringService(env: Record<string, string>): DeliveringService {
  let receiver: HttpsReceiver | undefined;
  let service: ServiceProcess | undefined;
  let dataDir: string | undefined;
  beforeAll(async () => {
    receiver = await startHttpsReceiver();
    dataDir = mkdtempSync(join(tmpdir(), 'ledgerhook-e2e-'));
    service = await startServiceProcess({
      DATA_DIR: dataDir,
      ALLOW_PRIVATE_ENDPOINTS: 'true',
      NODE_EXTRA_CA_CERTS: testCertificate().certPath,
      RETRY_SCHEDULE_SLOW: '3600',
      ...env,
    });
  });
  afterAll(async () => {
    await service?.stop();
    await receiver?.close();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the ${what} is not started yet: read it inside a test or a later hook`);
    return value;
  };
  return {
    get service() {
      return started(service, 'service');
    },
    get receiver() {
      return started(receiver, 'receiver');
    },
  };
}
