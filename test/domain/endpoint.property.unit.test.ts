import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { decodeEvent } from '../../src/domain/events.js';
import { decideEndpoint, evolveEndpoint, initialEndpointState, type EndpointCommand } from '../../src/domain/endpoint/index.js';

const T = '2026-01-01T00:00:00.000Z';
const EP = 'ep_1';
const create: EndpointCommand = {
  type: 'CreateEndpoint', endpoint_id: EP, project_id: 'proj_1', url: 'https://a.example/h', description: '', headers: {}, rate_limit_rps: 0, burst: 0,
  signing_key: { key_id: 'sk_0', secret: 'whsec_0', key_hint: '0000' }, now: T,
};

const commandArb: fc.Arbitrary<EndpointCommand> = fc.oneof(
  fc.integer({ min: 1, max: 6 }).map((n): EndpointCommand => ({ type: 'CreateSigningKey', endpoint_id: EP, signing_key: { key_id: `sk_${n}`, secret: `whsec_${n}`, key_hint: `${n}` }, now: T })),
  fc.integer({ min: 0, max: 6 }).map((n): EndpointCommand => ({ type: 'DeleteSigningKey', endpoint_id: EP, key_id: `sk_${n}`, now: T })),
  fc.constantFrom<EndpointCommand>(
    { type: 'PauseEndpoint', endpoint_id: EP, now: T },
    { type: 'ResumeEndpoint', endpoint_id: EP, now: T },
    { type: 'UpdateEndpoint', endpoint_id: EP, changes: { description: 'x' }, now: T },
  ),
);

describe('endpoint decider properties', () => {
  it('always keeps one or two signing keys, and every event passes its schema', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 30 }), (commands) => {
        let state = decideEndpoint(create, initialEndpointState()).reduce(evolveEndpoint, initialEndpointState());
        commands.forEach((command, n) => {
          let events;
          try {
            events = decideEndpoint(command, state);
          } catch (error) {
            expect(error).toBeInstanceOf(DomainError);
            return;
          }
          for (const event of events) expect(decodeEvent({ ...event, stream: 'endpoint-ep_1', revision: n })).toEqual(event);
          state = events.reduce(evolveEndpoint, state);
          expect(state.signing_keys.length).toBeGreaterThanOrEqual(1);
          expect(state.signing_keys.length).toBeLessThanOrEqual(2);
          expect(new Set(state.signing_keys.map((k) => k.key_id)).size).toBe(state.signing_keys.length);
        });
      }),
      { numRuns: 200 },
    );
  });
});
