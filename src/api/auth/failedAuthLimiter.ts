export interface FailedAuthLimitOptions {
  /** Failures allowed per client IP within windowMs; the next attempt is refused. */
  maxFailures?: number;
  windowMs?: number;
  /** Bound on tracked IPs; the oldest go first. */
  maxClients?: number;
  now?: () => number;
}

interface Window {
  startedAt: number;
  failures: number;
}

/**
 * The reference's 429 RATE_LIMITED: "too many failed authentication attempts". A fixed
 * window per client IP: after maxFailures failures every authentication attempt from that
 * IP (even with a valid key) is refused until the window ends, so guessing keys costs a
 * window per maxFailures guesses. Successful requests are never counted.
 */
export class FailedAuthLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(options: FailedAuthLimitOptions = {}) {
    this.maxFailures = options.maxFailures ?? 20;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxClients = options.maxClients ?? 50_000;
    this.now = options.now ?? Date.now;
  }

  /** Seconds until this client may try again, or 0 when it may try now. */
  blockedFor(client: string): number {
    const window = this.current(client);
    if (window === undefined || window.failures < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((window.startedAt + this.windowMs - this.now()) / 1000));
  }

  recordFailure(client: string): void {
    const window = this.current(client);
    if (window !== undefined) {
      window.failures++;
      return;
    }
    if (this.windows.size >= this.maxClients) {
      const oldest = this.windows.keys().next();
      if (oldest.done !== true) this.windows.delete(oldest.value);
    }
    this.windows.set(client, { startedAt: this.now(), failures: 1 });
  }

  private current(client: string): Window | undefined {
    const window = this.windows.get(client);
    if (window === undefined) return undefined;
    if (this.now() - window.startedAt >= this.windowMs) {
      this.windows.delete(client);
      return undefined;
    }
    return window;
  }
}
