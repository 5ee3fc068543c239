import { describe, expect, it } from 'vitest';
import type { EndpointEvent } from '../../src/domain/endpoint/events.js';
import type { ProjectEvent } from '../../src/domain/project/events.js';
import { evolveApiKeyRow, evolveProjectRow } from '../../src/projections/apiKeys/evolve.js';
import { evolveEndpointRow } from '../../src/projections/endpoints/evolve.js';
import { evolveSpec } from './support/given.js';
import * as e from './support/events.js';

const endpoint = evolveSpec(evolveEndpointRow);
const ep = (event: ReturnType<typeof e.endpointCreated>) => event as EndpointEvent;
const ms = (seconds: number) => e.T0 + seconds * 1000;

describe('endpoints evolve', () => {
  const created = ep(e.endpointCreated('ep_1', 0));
  const row = {
    endpoint_id: 'ep_1', project_id: 'proj_1', url: 'https://example.com/ep_1', description: 'hooks', paused: false,
    rate_limit_rps: 0, burst: 0, headers: { 'X-A': '1' }, deleted: false, created_at: ms(0), updated_at: ms(0),
  };

  it('a created endpoint keeps no signing secret', () => {
    endpoint().when(created).then(row);
    expect(JSON.stringify(evolveEndpointRow(null, created))).not.toContain('whsec_');
  });

  it('an update changes only the fields it names; headers replace the map', () => {
    endpoint(created)
      .when(ep(e.endpointUpdated('ep_1', 5, { url: 'https://example.com/new', headers: { 'X-B': '2' } })))
      .then({ ...row, url: 'https://example.com/new', headers: { 'X-B': '2' }, updated_at: ms(5) });
  });

  it('pause, resume and delete', () => {
    endpoint(created).when(ep(e.endpointPaused('ep_1', 1))).then({ ...row, paused: true, updated_at: ms(1) });
    endpoint(created, ep(e.endpointPaused('ep_1', 1))).when(ep(e.endpointResumed('ep_1', 2))).then({ ...row, paused: false, updated_at: ms(2) });
    endpoint(created).when(ep(e.endpointDeleted('ep_1', 3))).then({ ...row, deleted: true, updated_at: ms(3) });
  });
});

describe('api-keys evolve', () => {
  const key = evolveSpec(evolveApiKeyRow);
  const pe = (event: ReturnType<typeof e.projectCreated>) => event as ProjectEvent;
  const HASH = 'cd'.repeat(32);
  const row = { key_id: 'key_1', project_id: 'proj_1', prefix: 'hb_live_abc', key_sha256: HASH, label: 'backend', created_at: ms(0), deleted_at: null };

  it('a key is stored by hash with its prefix; deleting marks it', () => {
    key().when(pe(e.apiKeyCreated('proj_1', 'key_1', HASH, 0))).then(row);
    key(pe(e.apiKeyCreated('proj_1', 'key_1', HASH, 0))).when(pe(e.apiKeyDeleted('proj_1', 'key_1', 9))).then({ ...row, deleted_at: ms(9) });
  });

  it('a project row comes from ProjectCreated', () => {
    evolveSpec(evolveProjectRow)().when(pe(e.projectCreated('proj_1', 0))).then({ project_id: 'proj_1', name: 'Project proj_1', created_at: ms(0) });
  });
});
