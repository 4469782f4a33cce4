import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric of the project starts with this (DESIGN.md Conventions). */
export const METRIC_PREFIX = 'enrollgate_';

/**
 * One Prometheus registry per process, with the default process/Node metrics. Labels stay bounded:
 * never serials, subject names or account ids.
 */
export class Metrics {
  readonly registry = new Registry();

  constructor(app: string) {
    this.registry.setDefaultLabels({ app });
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.getOrCreate(name, () => new Counter<L>({ name: METRIC_PREFIX + name, help, labelNames, registers: [this.registry] }));
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.getOrCreate(name, () => new Gauge<L>({ name: METRIC_PREFIX + name, help, labelNames, registers: [this.registry] }));
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[] = [], buckets?: number[]): Histogram<L> {
    return this.getOrCreate(
      name,
      () =>
        new Histogram<L>({
          name: METRIC_PREFIX + name,
          help,
          labelNames,
          buckets: buckets ?? [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers: [this.registry],
        }),
    );
  }

  private getOrCreate<T>(name: string, make: () => T): T {
    const existing = this.registry.getSingleMetric(METRIC_PREFIX + name);
    return (existing as T | undefined) ?? make();
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
