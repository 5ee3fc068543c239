import { Agent } from 'node:https';

/**
 * One keep-alive agent per origin, so consecutive deliveries to an endpoint reuse a warm TLS
 * connection. The map is bounded: past `maxAgents`, the least recently used agents with nothing in
 * flight are destroyed (an agent with live requests is never cut off mid-delivery).
 */
export interface AgentPoolOptions {
  maxAgents: number;
  /** Idle keep-alive sockets close after this long; below Node's 5 s server default on purpose. */
  idleSocketMs: number;
}

export interface AgentPool {
  get(origin: string): Agent;
  size(): number;
  /** Closes an origin's idle pooled connections: one turned out dead, its siblings likely are too. */
  dropIdle(origin: string): void;
  destroy(): void;
}

export function createAgentPool(options: AgentPoolOptions): AgentPool {
  const agents = new Map<string, Agent>();

  const busy = (agent: Agent): boolean =>
    Object.values(agent.sockets).some((list) => (list?.length ?? 0) > 0) || Object.values(agent.requests).some((list) => (list?.length ?? 0) > 0);

  function evict(): void {
    for (const [origin, agent] of agents) {
      if (agents.size <= options.maxAgents) return;
      if (busy(agent)) continue;
      agent.destroy();
      agents.delete(origin);
    }
  }

  return {
    get(origin) {
      let agent = agents.get(origin);
      if (agent) {
        agents.delete(origin); // re-insert: Map order is the LRU order
      } else {
        agent = new Agent({ keepAlive: true, timeout: options.idleSocketMs, scheduling: 'lifo' });
      }
      agents.set(origin, agent);
      evict();
      return agent;
    },
    size: () => agents.size,
    dropIdle(origin) {
      const agent = agents.get(origin);
      for (const list of Object.values(agent?.freeSockets ?? {})) for (const socket of list ?? []) socket.destroy();
    },
    destroy() {
      for (const agent of agents.values()) agent.destroy();
      agents.clear();
    },
  };
}
