import { EnrollErrorCode, type PendingRef } from '@enrollgate/contracts';
import { CaError, type CaClient, type CaOutcome, type CaSubmitRequest } from './ca-client.js';

export interface RoutedPool {
  name: string;
  client: CaClient;
  /** (host, CA name) pairs the pool holds, to route retrieve calls back to it. */
  holds: (ref: PendingRef) => boolean;
  /** AD CS CA names of the pool's targets, for a job that names its CA (EnrollJob.caName). */
  caNames: readonly string[];
}

/** AD CS CA names compare case-insensitively (the CA's common name). */
export function sameCaName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * Several named CA pools behind one CaClient: a job names its pool, or its template routes it,
 * else the `default` pool takes it. A job that names its CA (an EAB kid's `ca_name`) goes to
 * that CA of the pool only (the pool's client fails over among its hosts); a pool without it is
 * a permanent error rather than issuance by another CA. Retrieval goes to the pool that holds the CA.
 */
export class CaRouter implements CaClient {
  private readonly pools = new Map<string, RoutedPool>();

  constructor(
    pools: RoutedPool[],
    private readonly templateRoutes: Record<string, string> = {},
    private readonly defaultPool = 'default',
  ) {
    for (const p of pools) this.pools.set(p.name, p);
    for (const [template, pool] of Object.entries(templateRoutes)) {
      if (!this.pools.has(pool)) throw new CaError(EnrollErrorCode.CONFIG, `template route ${template} → unknown CA pool "${pool}"`, false);
    }
    if (!this.pools.has(defaultPool)) throw new CaError(EnrollErrorCode.CONFIG, `no "${defaultPool}" CA pool configured`, false);
  }

  poolFor(request: Pick<CaSubmitRequest, 'caPool' | 'caName' | 'template'>): RoutedPool {
    const name = request.caPool ?? this.templateRoutes[request.template] ?? this.defaultPool;
    const pool = this.pools.get(name);
    if (!pool) throw new CaError(EnrollErrorCode.CONFIG, `unknown CA pool "${name}"`, false);
    const caName = request.caName;
    if (caName !== undefined && !pool.caNames.some((n) => sameCaName(n, caName))) {
      throw new CaError(
        EnrollErrorCode.CONFIG,
        `CA pool "${name}" has no CA named "${caName}" (it holds ${[...new Set(pool.caNames)].map((n) => `"${n}"`).join(', ') || 'none'})`,
        false,
      );
    }
    return pool;
  }

  submit(request: CaSubmitRequest): Promise<CaOutcome> {
    return this.poolFor(request).client.submit(request);
  }

  retrieve(ref: PendingRef): Promise<CaOutcome> {
    const pool = [...this.pools.values()].find((p) => p.holds(ref)) ?? (this.pools.get(this.defaultPool) as RoutedPool);
    return pool.client.retrieve(ref);
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.client.close()));
  }
}
