import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A self-signed certificate for localhost / 127.0.0.1 / ::1 and receiver.test (a name no resolver
 * knows, for tests that must prove no system DNS look-up happens), made with openssl once and shared by
 * every test worker of the run (and reused by later runs for a day). `certPath` is what a
 * process started by an e2e test gets as NODE_EXTRA_CA_CERTS to trust the test receiver.
 */
export interface TestCertificate {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

// Versioned: a change to the certificate's names must not reuse an older cached one.
const dir = join(tmpdir(), 'ledgerhook-test-certificate-v2');
const maxAgeMs = 24 * 60 * 60 * 1000;

let cached: TestCertificate | undefined;

export function testCertificate(): TestCertificate {
  if (cached) return cached;
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  if (!existsSync(certPath) || Date.now() - statSync(certPath).mtimeMs > maxAgeMs) generateInto(dir);
  cached = { certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
  return cached;
}

function generateInto(target: string): void {
  // Build beside, then rename: parallel workers never see half a certificate.
  const scratch = mkdtempSync(join(tmpdir(), 'ledgerhook-cert-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(scratch, 'key.pem'), '-out', join(scratch, 'cert.pem'), '-days', '30',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,DNS:receiver.test,IP:127.0.0.1,IP:::1',
  ], { stdio: 'ignore' });
  rmSync(`${target}.old`, { recursive: true, force: true });
  try {
    if (existsSync(target)) renameSync(target, `${target}.old`);
    renameSync(scratch, target);
  } catch {
    // Another worker won the race; its certificate is as good as ours.
    rmSync(scratch, { recursive: true, force: true });
  }
}
