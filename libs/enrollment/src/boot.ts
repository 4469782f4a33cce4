import 'reflect-metadata';
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { EnrollProtocol } from '@enrollgate/contracts';
import { HealthRegistry, Metrics, PlatformModule, createLogger, startHttpApp, type Logger } from '@enrollgate/platform';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FrontendRuntime } from './frontend-runtime.js';

export interface FrontendBootOptions {
  app: string;
  protocol: EnrollProtocol;
  config: { REDIS_URL: string; DATABASE_URL: string; QUEUE_PREFIX: string; LOG_LEVEL: string };
  listen: { host: string; port: number };
  /** The app's own Nest modules (protocol controllers); they can inject FrontendRuntime. */
  imports?: (Type | DynamicModule)[];
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
  /** Serve HTTPS with this PEM certificate chain and key. */
  https?: { cert: string | Buffer; key: string | Buffer };
  /** The app's logger when it needed one before booting (e.g. to open its policy); else one is created. */
  logger?: Logger;
  /** Maps a request URL before routing (see startHttpApp). */
  rewriteUrl?: (url: string) => string;
}

/** Boots a front-end: logger, metrics, health, the runtime (DB, Redis, queues), HTTP. */
export async function bootFrontend(options: FrontendBootOptions): Promise<{ app: NestFastifyApplication; runtime: FrontendRuntime; logger: Logger }> {
  const logger = options.logger ?? createLogger({ app: options.app, level: options.config.LOG_LEVEL });
  const metrics = new Metrics(options.app);
  const health = new HealthRegistry();
  const runtime = await FrontendRuntime.start({
    protocol: options.protocol,
    redisUrl: options.config.REDIS_URL,
    databaseUrl: options.config.DATABASE_URL,
    queuePrefix: options.config.QUEUE_PREFIX,
    logger,
    health,
  });

  @Module({
    imports: [PlatformModule.forRoot({ logger, metrics, health, providers: [{ provide: FrontendRuntime, useValue: runtime }] }), ...(options.imports ?? [])],
  })
  class FrontendModule {
    async onModuleDestroy(): Promise<void> {
      await runtime.close();
    }
  }

  const app = await startHttpApp(FrontendModule, {
    logger,
    health,
    listen: options.listen,
    configure: options.configure,
    ...(options.https ? { https: options.https } : {}),
    ...(options.rewriteUrl ? { rewriteUrl: options.rewriteUrl } : {}),
  });
  return { app, runtime, logger };
}
