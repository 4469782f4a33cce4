import { Module, type DynamicModule, type OnApplicationBootstrap, type OnModuleDestroy, Inject } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';
import { ScepApiController } from './api/scep-api.controller.js';
import { ChallengeService } from './challenges/challenge.service.js';
import type { ScepConfig } from './config.js';
import { ScepHttp } from './http/scep-http.js';
import { ScepPolicyService } from './policy/scep-policy.service.js';
import { RaService } from './ra/ra.service.js';
import { PkiOperationService } from './scep/pki-operation.service.js';
import { SCEP_CLOCK, SCEP_CONFIG } from './tokens.js';

/** Purges expired transactions and challenges hourly. */
class Housekeeping implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  constructor(
    @Inject(PkiOperationService) private readonly pki: PkiOperationService,
    @Inject(ChallengeService) private readonly challenges: ChallengeService,
  ) {}
  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      void this.pki.purge().catch(() => undefined);
      void this.challenges.repository.purgeExpired(24 * 3600_000).catch(() => undefined);
    }, 3600_000);
    this.timer.unref();
  }
  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

@Module({})
export class ScepModule {
  /** `clock`: what the RA renewal schedule reads as now (tests); Date.now otherwise. */
  static forRoot(config: ScepConfig, options: { clock?: () => number } = {}): DynamicModule {
    return {
      module: ScepModule,
      controllers: [ScepApiController],
      providers: [
        { provide: SCEP_CONFIG, useValue: config },
        ...(options.clock ? [{ provide: SCEP_CLOCK, useValue: options.clock }] : []),
        RaService,
        ChallengeService,
        ScepPolicyService,
        PkiOperationService,
        ScepHttp,
        Housekeeping,
      ],
      exports: [ScepHttp, RaService, ChallengeService],
    };
  }
}

/**
 * Registers the SCEP routes and raises the request-line limit: a Windows GET PKIOperation runs to
 * 10–14 KB of URL (research/scep-windows.md §1.3), past Node's 16 KB header default with cookies.
 */
export async function configureScep(app: NestFastifyApplication, config: ScepConfig): Promise<void> {
  (app.getHttpServer() as Server & { maxHeaderSize?: number }).maxHeaderSize = config.SCEP_MAX_URL_BYTES + 16 * 1024;
  await app.register(app.get(ScepHttp).plugin);
}
