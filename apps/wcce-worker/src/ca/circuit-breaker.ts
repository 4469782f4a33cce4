/**
 * Circuit breaker per CA host: opens after `failureThreshold` consecutive transport failures,
 * lets one probe through after `openMs` (half-open), closes on a success and re-opens on a
 * failed probe. Keeps the worker from waiting on a dead CA for every job while others answer.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold?: number;
  openMs?: number;
  now?: () => number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private probing = false;
  private readonly threshold: number;
  private readonly openMs: number;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    options: BreakerOptions = {},
    private readonly onChange?: (name: string, state: BreakerState) => void,
  ) {
    this.threshold = options.failureThreshold ?? 3;
    this.openMs = options.openMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.openMs ? 'half-open' : 'open';
  }

  /** May a call go to this host now? In half-open, only one probe at a time. */
  allows(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return !this.probing;
  }

  /** Marks the start of a call admitted by allows(). */
  begin(): void {
    if (this.state === 'half-open') this.probing = true;
  }

  success(): void {
    const was = this.state;
    this.failures = 0;
    this.openedAt = undefined;
    this.probing = false;
    if (was !== 'closed') this.onChange?.(this.name, 'closed');
  }

  failure(): void {
    const wasProbe = this.probing;
    this.probing = false;
    this.failures++;
    if (wasProbe || (this.openedAt === undefined && this.failures >= this.threshold)) {
      this.openedAt = this.now();
      this.onChange?.(this.name, 'open');
    }
  }
}
