import fc from 'fast-check';
import type { AnyDomainEvent } from '../../../src/domain/events.js';
import type { RecordedEvent } from '../../../src/eventstore/port.js';
import * as e from './events.js';
import { streamOf } from './events.js';

/**
 * Random valid histories: a few endpoints and API keys, and messages that each walk the
 * lifecycle (attempts, retries, expedites, cancels, abandons, replays), interleaved.
 */
type Step = (t: number) => AnyDomainEvent[];

function messageSteps(id: string, endpoint: string, choices: readonly number[]): Step[] {
  const steps: Step[] = [(t) => [e.queued(id, t, endpoint)]];
  let status: 'queued' | 'pending' | 'settled' = 'queued';
  let attempt = 0;
  let replays = 0;
  for (const c of choices) {
    if (status === 'settled') {
      replays += 1;
      const n = replays;
      steps.push((t) => [e.replayed(id, t, n)]);
      status = 'queued';
      continue;
    }
    if (status === 'pending' && c % 5 === 0) {
      steps.push((t) => [e.expedited(id, t)]);
      continue;
    }
    if (status === 'pending' && c % 7 === 1) {
      const n = attempt;
      steps.push((t) => [e.cancelled(id, t), e.failedPermanently(id, t, n, 'cancelled')]);
      status = 'settled';
      continue;
    }
    attempt += 1;
    const n = attempt;
    steps.push((t) => [e.started(id, n, t)]);
    switch (c % 4) {
      case 0:
        steps.push((t) => [e.succeeded(id, n, t, 10 + c)]);
        status = 'settled';
        break;
      case 1:
        steps.push((t) => [e.failed(id, n, t, 503, 20 + c), e.retryScheduled(id, n, t, 30 + c)]);
        status = 'pending';
        break;
      case 2:
        steps.push((t) => [e.failed(id, n, t, 404), e.failedPermanently(id, t, n, 'non_retryable')]);
        status = 'settled';
        break;
      default:
        steps.push((t) => [e.abandoned(id, n, t), e.retryScheduled(id, n, t, 60)]);
        status = 'pending';
    }
  }
  return steps;
}

export const historyArb: fc.Arbitrary<AnyDomainEvent[]> = fc
  .record({
    endpoints: fc.integer({ min: 1, max: 3 }),
    messages: fc.array(fc.record({ endpoint: fc.nat(2), choices: fc.array(fc.nat(100), { maxLength: 6 }) }), { maxLength: 12 }),
    picks: fc.array(fc.nat(1000), { minLength: 200, maxLength: 200 }),
    gaps: fc.array(fc.integer({ min: 0, max: 900 }), { minLength: 200, maxLength: 200 }),
    pauseAt: fc.option(fc.nat(150)),
  })
  .map(({ endpoints, messages, picks, gaps, pauseAt }) => {
    const history: AnyDomainEvent[] = [e.projectCreated('proj_1', 0), e.apiKeyCreated('proj_1', 'key_1', 'ef'.repeat(32), 0)];
    for (let i = 0; i < endpoints; i++) history.push(e.endpointCreated(`ep_${i}`, 0));
    const actors = messages.map((m, i) => messageSteps(`msg_${i}`, `ep_${m.endpoint % endpoints}`, m.choices));
    let t = 1;
    for (let tick = 0; actors.some((a) => a.length > 0); tick++) {
      t += gaps[tick % gaps.length] ?? 1;
      const live = actors.filter((a) => a.length > 0);
      const actor = live[(picks[tick % picks.length] ?? 0) % live.length]!;
      history.push(...actor.shift()!(t));
      if (pauseAt === tick) history.push(e.endpointPaused('ep_0', t));
      if (pauseAt !== null && tick === pauseAt + 5) history.push(e.endpointResumed('ep_0', t));
    }
    if (endpoints > 1) history.push(e.endpointDeleted('ep_1', t + 1));
    history.push(e.apiKeyDeleted('proj_1', 'key_1', t + 1));
    return history;
  });

/** As the log would hold them: positions 1..n. */
export const recorded = (history: readonly AnyDomainEvent[]): RecordedEvent[] =>
  history.map((event, i) => ({
    id: `id-${i}`, type: event.type, data: event.data, metadata: {}, stream: streamOf(event), revision: 0n, position: BigInt(i + 1), created: new Date(0),
  }));
