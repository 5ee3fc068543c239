import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/serviceProcess.js';

// No Docker engine runs on these machines; the compose file is checked by Debian's
// docker-compose (which .ci/run installs when it can). Without it the check is skipped, loudly.
const composeAvailable = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
if (!composeAvailable) console.warn('docker-compose is not installed: skipping the docker-compose.yml validation (apt-get install docker-compose)');

describe('deployment files', () => {
  it.skipIf(!composeAvailable)('docker-compose.yml validates, with EventStoreDB 24.10 and the service wired to it', () => {
    execFileSync('docker-compose', ['-f', join(projectRoot, 'docker-compose.yml'), 'config', '-q'], { stdio: 'pipe' });
    const resolved = execFileSync('docker-compose', ['-f', join(projectRoot, 'docker-compose.yml'), 'config'], { encoding: 'utf8' });
    expect(resolved).toMatch(/image: eventstore\/eventstore:24\.10/);
    expect(resolved).toMatch(/EVENTSTORE_CONNECTION_STRING: esdb:\/\/eventstore:2113\?tls=false/);
    expect(resolved).toMatch(/condition: service_healthy/);
  });

  it('the Dockerfile is multi-stage on a Node LTS image and runs as a non-root user', () => {
    const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^FROM node:(20|22|24)[-.\w]*/m);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
