import { Controller, Get, Inject, Module, type DynamicModule } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Res } from '@nestjs/common';
import type { Logger } from 'pino';
import { HealthRegistry } from '../health/health-registry.js';
import { Metrics } from '../metrics/registry.js';

export const LOGGER = Symbol.for('enrollgate.logger');

@Controller()
export class HealthController {
  constructor(@Inject(HealthRegistry) private readonly health: HealthRegistry) {}

  /** Liveness: the process answers. Nothing else. */
  @Get('livez')
  livez(): { ok: true } {
    return { ok: true };
  }

  @Get('readyz')
  async readyz(@Res() res: FastifyReply): Promise<void> {
    const report = await this.health.readiness();
    await res
      .status(report.ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(report);
  }
}

@Controller()
export class MetricsController {
  constructor(@Inject(Metrics) private readonly metrics: Metrics) {}

  @Get('metrics')
  async metricsEndpoint(@Res() res: FastifyReply): Promise<void> {
    const { contentType, body } = await this.metrics.render();
    await res.header('content-type', contentType).send(body);
  }
}

export interface PlatformModuleOptions {
  logger: Logger;
  metrics: Metrics;
  health: HealthRegistry;
  /** Extra values to provide globally (the app's typed config, connections). */
  providers?: { provide: unknown; useValue: unknown }[];
}

/** /livez, /readyz and /metrics plus the process-wide logger, metrics and health registry. */
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformModuleOptions): DynamicModule {
    const providers = [
      { provide: LOGGER, useValue: options.logger },
      { provide: Metrics, useValue: options.metrics },
      { provide: HealthRegistry, useValue: options.health },
      ...(options.providers ?? []).map((p) => ({ provide: p.provide as symbol, useValue: p.useValue })),
    ];
    return {
      module: PlatformModule,
      global: true,
      controllers: [HealthController, MetricsController],
      providers,
      exports: providers.map((p) => p.provide),
    };
  }
}
