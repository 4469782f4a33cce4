export type HealthCheck = () => Promise<void>;

export interface ReadinessReport {
  ok: boolean;
  checks: Record<string, { ok: boolean; error?: string; ms: number }>;
}

/**
 * Readiness = the dependencies that route traffic (Redis, the database). Liveness checks only
 * the process, so a slow database never gets a pod killed (STYLE.md Lifecycle).
 */
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();
  private draining = false;

  constructor(private readonly timeoutMs = 2000) {}

  register(name: string, check: HealthCheck): this {
    this.checks.set(name, check);
    return this;
  }

  /** Called at the start of graceful shutdown: readiness fails so traffic moves elsewhere. */
  markDraining(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async readiness(): Promise<ReadinessReport> {
    const checks: ReadinessReport['checks'] = {};
    if (this.draining) checks['shutdown'] = { ok: false, error: 'draining', ms: 0 };
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        const started = performance.now();
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            check(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
            }),
          ]);
          checks[name] = { ok: true, ms: Math.round(performance.now() - started) };
        } catch (e) {
          checks[name] = { ok: false, error: e instanceof Error ? e.message : String(e), ms: Math.round(performance.now() - started) };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return { ok: Object.values(checks).every((c) => c.ok), checks };
  }
}
