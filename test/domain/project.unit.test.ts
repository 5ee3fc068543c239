import { describe, expect, it } from 'vitest';
import { apiKeyPrefix, projectDecider, type ProjectCommand, type ProjectEvent, type ProjectState } from '../../src/domain/project/index.js';
import { specFor } from './support/spec.js';

const given = specFor<ProjectCommand, ProjectEvent, ProjectState>(projectDecider);
const T = '2026-01-01T00:00:00.000Z';
const KEY = 'hb_live_abcdefghijklmnopqrstuvwxyz123456';
const SHA = 'c'.repeat(64);
const created: ProjectEvent = { type: 'ProjectCreated', data: { v: 1, project_id: 'proj_1', name: 'Default', created_at: T } };
const keyCreated: ProjectEvent = {
  type: 'ApiKeyCreated', data: { v: 1, project_id: 'proj_1', key_id: 'key_1', prefix: 'hb_live_abc', key_sha256: SHA, label: 'Prod', created_at: T },
};
const createKey: ProjectCommand = { type: 'CreateApiKey', key_id: 'key_1', prefix: apiKeyPrefix(KEY), key_sha256: SHA, label: 'Prod', now: T };

describe('project', () => {
  it('is created once', () => {
    given([]).when({ type: 'CreateProject', project_id: 'proj_1', name: 'Default', now: T }).then([created]);
    given([created]).when({ type: 'CreateProject', project_id: 'proj_1', name: 'Default', now: T }).thenRefuses({ code: 'PROJECT_ALREADY_EXISTS', status: 409 });
  });
  it('records an API key by prefix and hash, never the key itself', () => {
    given([created]).when(createKey).then([keyCreated]);
    expect(JSON.stringify(given([created]).when(createKey).events())).not.toContain(KEY);
    expect(apiKeyPrefix(KEY)).toBe('hb_live_abc');
  });
  it('refuses a key for a missing project, a duplicate, or a malformed hash', () => {
    given([]).when(createKey).thenRefuses({ code: 'NOT_FOUND', status: 404, message: 'Project not found' });
    given([created, keyCreated]).when(createKey).thenRefuses({ code: 'API_KEY_ALREADY_EXISTS', status: 409 });
    given([created]).when({ ...createKey, key_sha256: KEY } as ProjectCommand).thenRefuses({ code: 'INVALID_REQUEST', status: 400 });
  });
  it('deletes a key; an unknown one is not found', () => {
    given([created, keyCreated]).when({ type: 'DeleteApiKey', key_id: 'key_1', now: T })
      .then([{ type: 'ApiKeyDeleted', data: { v: 1, project_id: 'proj_1', key_id: 'key_1', deleted_at: T } }]);
    given([created]).when({ type: 'DeleteApiKey', key_id: 'key_1', now: T }).thenRefuses({ code: 'NOT_FOUND', status: 404, message: 'API key not found' });
  });
});
