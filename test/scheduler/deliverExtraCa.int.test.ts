import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpsReceiver } from '../support/httpsReceiver.js';
import type { HttpsReceiver } from '../support/httpsReceiver.js';
import { testCertificate } from '../support/testCertificate.js';

// NODE_EXTRA_CA_CERTS is read once at process start, so it can only be shown in a new process:
// a deliverer with no `ca` option trusts the test receiver exactly when the variable names its
// certificate.
const run = promisify(execFile);
let receiver: HttpsReceiver;
let script: string;

beforeAll(async () => {
  receiver = await startHttpsReceiver();
  script = join(mkdtempSync(join(tmpdir(), 'ledgerhook-extra-ca-')), 'deliver.mts');
  const deliverModule = pathToFileURL(resolve('src/scheduler/deliver.ts')).href;
  writeFileSync(
    script,
    `import { createDeliverer } from ${JSON.stringify(deliverModule)};
const deliverer = createDeliverer({ timeoutMs: 5000, connectTimeoutMs: 3000, allowPrivate: true });
const outcome = await deliverer.deliver({ url: process.argv[2], body: '{}', secrets: ['whsec_x'], messageId: 'm1', attemptNo: 1, now: new Date() });
deliverer.close();
console.log(JSON.stringify({ kind: outcome.kind, status: outcome.kind === 'response' ? outcome.status : undefined, reason: outcome.kind === 'error' ? outcome.reason : undefined }));
`,
  );
});
afterAll(async () => {
  await receiver.close();
});

async function deliverInChild(extraCa: string | undefined): Promise<unknown> {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  if (extraCa) env.NODE_EXTRA_CA_CERTS = extraCa;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, receiver.url()], { env, timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
}

describe('NODE_EXTRA_CA_CERTS', () => {
  it('is honoured: the receiver is trusted with it and refused without it', async () => {
    const [trusted, untrusted] = await Promise.all([deliverInChild(testCertificate().certPath), deliverInChild(undefined)]);
    expect(trusted).toEqual({ kind: 'response', status: 200 });
    expect(untrusted).toEqual({ kind: 'error', reason: 'tls' });
  });
});
