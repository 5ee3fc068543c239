import { describe, it } from 'vitest';
import { endpointDecider, type EndpointCommand, type EndpointEvent, type EndpointState } from '../../src/domain/endpoint/index.js';
import { specFor } from './support/spec.js';

const given = specFor<EndpointCommand, EndpointEvent, EndpointState>(endpointDecider);
const T = '2026-01-01T00:00:00.000Z';
const T2 = '2026-01-02T00:00:00.000Z';
const EP = 'ep_550e8400e29b41d4a716446655440000';
const key1 = { key_id: 'sk_1', secret: 'whsec_one', key_hint: 'one1' };
const key2 = { key_id: 'sk_2', secret: 'whsec_two', key_hint: 'two2' };
const settings = { url: 'https://customer.app/webhooks', description: 'Main', headers: { 'X-A': '1' }, rate_limit_rps: 0, burst: 0 };

const created: EndpointEvent = {
  type: 'EndpointCreated',
  data: { v: 1, endpoint_id: EP, project_id: 'proj_1', ...settings, signing_key: { ...key1, created_at: T }, created_at: T },
};
const paused: EndpointEvent = { type: 'EndpointPaused', data: { v: 1, endpoint_id: EP, paused_at: T2 } };
const deleted: EndpointEvent = { type: 'EndpointDeleted', data: { v: 1, endpoint_id: EP, deleted_at: T2 } };
const key2Created: EndpointEvent = { type: 'SigningKeyCreated', data: { v: 1, endpoint_id: EP, signing_key: { ...key2, created_at: T2 } } };
const notFound = { code: 'NOT_FOUND', status: 404, message: 'Endpoint not found' };

describe('endpoint', () => {
  it('is created with its first signing key (secret included, for the scheduler)', () =>
    given([]).when({ type: 'CreateEndpoint', endpoint_id: EP, project_id: 'proj_1', ...settings, signing_key: key1, now: T }).then([created]));
  it('cannot be created twice', () =>
    given([created]).when({ type: 'CreateEndpoint', endpoint_id: EP, project_id: 'proj_1', ...settings, signing_key: key1, now: T })
      .thenRefuses({ code: 'ENDPOINT_ALREADY_EXISTS', status: 409 }));

  it('records only the fields an update really changes', () =>
    given([created]).when({ type: 'UpdateEndpoint', endpoint_id: EP, changes: { description: 'New', url: settings.url }, now: T2 })
      .then([{ type: 'EndpointUpdated', data: { v: 1, endpoint_id: EP, changes: { description: 'New' }, updated_at: T2 } }]));
  it('writes nothing for an update that changes nothing', () =>
    given([created]).when({ type: 'UpdateEndpoint', endpoint_id: EP, changes: { headers: { 'X-A': '1' } }, now: T2 }).then([]));

  it('pauses, and pausing again is a no-op', () => {
    given([created]).when({ type: 'PauseEndpoint', endpoint_id: EP, now: T2 }).then([paused]);
    given([created, paused]).when({ type: 'PauseEndpoint', endpoint_id: EP, now: T2 }).then([]);
  });
  it('resumes a paused endpoint; resuming an active one is a no-op', () => {
    given([created, paused]).when({ type: 'ResumeEndpoint', endpoint_id: EP, now: T2 })
      .then([{ type: 'EndpointResumed', data: { v: 1, endpoint_id: EP, resumed_at: T2 } }]);
    given([created]).when({ type: 'ResumeEndpoint', endpoint_id: EP, now: T2 }).then([]);
  });

  it('is soft-deleted, idempotently, and then not found', () => {
    given([created]).when({ type: 'DeleteEndpoint', endpoint_id: EP, now: T2 }).then([deleted]);
    given([created, deleted]).when({ type: 'DeleteEndpoint', endpoint_id: EP, now: T2 }).then([]);
    given([created, deleted]).when({ type: 'PauseEndpoint', endpoint_id: EP, now: T2 }).thenRefuses(notFound);
  });
  it('is not found when missing or another project\'s', () => {
    given([]).when({ type: 'UpdateEndpoint', endpoint_id: EP, changes: {}, now: T2 }).thenRefuses(notFound);
    given([]).when({ type: 'DeleteEndpoint', endpoint_id: EP, now: T2 }).thenRefuses(notFound);
    given([created]).when({ type: 'PauseEndpoint', endpoint_id: EP, project_id: 'proj_2', now: T2 }).thenRefuses(notFound);
  });

  it('adds a second signing key, but not a third', () => {
    given([created]).when({ type: 'CreateSigningKey', endpoint_id: EP, signing_key: key2, now: T2 }).then([key2Created]);
    given([created, key2Created]).when({ type: 'CreateSigningKey', endpoint_id: EP, signing_key: { ...key2, key_id: 'sk_3' }, now: T2 })
      .thenRefuses({ code: 'MAX_SIGNING_KEYS_REACHED', status: 409, message: 'Endpoint already has the maximum of 2 signing keys' });
  });
  it('deletes a signing key but never the last one', () => {
    given([created, key2Created]).when({ type: 'DeleteSigningKey', endpoint_id: EP, key_id: 'sk_1', now: T2 })
      .then([{ type: 'SigningKeyDeleted', data: { v: 1, endpoint_id: EP, key_id: 'sk_1', deleted_at: T2 } }]);
    given([created]).when({ type: 'DeleteSigningKey', endpoint_id: EP, key_id: 'sk_1', now: T2 })
      .thenRefuses({ code: 'CANNOT_DELETE_LAST_SIGNING_KEY', status: 409 });
  });
  it('allows a new key after one was deleted (rotation)', () => {
    const rotated: EndpointEvent[] = [created, key2Created, { type: 'SigningKeyDeleted', data: { v: 1, endpoint_id: EP, key_id: 'sk_1', deleted_at: T2 } }];
    given(rotated).when({ type: 'CreateSigningKey', endpoint_id: EP, signing_key: { ...key1, key_id: 'sk_3' }, now: T2 })
      .then([{ type: 'SigningKeyCreated', data: { v: 1, endpoint_id: EP, signing_key: { ...key1, key_id: 'sk_3', created_at: T2 } } }]);
  });
  it('answers an unknown signing key as not found', () =>
    given([created, key2Created]).when({ type: 'DeleteSigningKey', endpoint_id: EP, key_id: 'sk_9', now: T2 })
      .thenRefuses({ code: 'NOT_FOUND', status: 404, message: 'Signing key not found' }));
});
