import { EnrollErrorCode, type PendingRef } from '@enrollgate/contracts';
import { CaError, type CaClient, type CaOutcome, type CaSubmitRequest } from './ca-client.js';

export interface RoutedPool {
  name: string;
  client: CaClient;
  /** (host, CA name) pairs the pool holds, to route retrieve calls back to it. */
  holds: (ref: PendingRef) => boolean;
}

/**
 * Several named CA pools behind one CaClient: a job names its pool, or its template routes it,
 * else the `default` pool takes it. Retrieval goes to the pool that holds the CA.
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

  poolFor(request: Pick<CaSubmitRequest, 'caPool' | 'template'>): RoutedPool {
    const name = request.caPool ?? this.templateRoutes[request.template] ?? this.defaultPool;
    const pool = this.pools.get(name);
    if (!pool) throw new CaError(EnrollErrorCode.CONFIG, `unknown CA pool "${name}"`, false);
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
