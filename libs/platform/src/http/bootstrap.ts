import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import type { HealthRegistry } from '../health/health-registry.js';
import { PinoNestLogger } from '../logging/nest-logger.js';

export interface HttpAppOptions {
  logger: Logger;
  health: HealthRegistry;
  listen: { host: string; port: number };
  /** Fastify body limit in bytes. */
  bodyLimit?: number;
  /** Let the app register content-type parsers etc. before listening. */
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
  /** Upper bound on graceful shutdown (drain in-flight work, close connections). */
  shutdownTimeoutMs?: number;
  /** Serve HTTPS with this PEM certificate chain and key (plain HTTP when absent). */
  https?: { cert: string | Buffer; key: string | Buffer };
  /** Maps a request URL (path and query) before routing, e.g. to serve routes under a path prefix too. */
  rewriteUrl?: (url: string) => string;
}

/**
 * Creates a NestJS app on Fastify, listens, and wires graceful shutdown: on SIGTERM/SIGINT
 * readiness fails first, then Nest runs every onModuleDestroy (workers drain, queues and
 * connections close), bounded by shutdownTimeoutMs.
 */
export async function startHttpApp(module: unknown, options: HttpAppOptions): Promise<NestFastifyApplication> {
  const rewriteUrl = options.rewriteUrl;
  const app = await NestFactory.create<NestFastifyApplication>(
    module as never,
    new FastifyAdapter({
      bodyLimit: options.bodyLimit ?? 1 << 20,
      trustProxy: true,
      ...(options.https ? { https: options.https } : {}),
      ...(rewriteUrl ? { rewriteUrl: (req: { url?: string }) => rewriteUrl(req.url ?? '/') } : {}),
    }),
    { logger: new PinoNestLogger(options.logger), rawBody: true, abortOnError: false },
  );
  await options.configure?.(app);
  await app.listen(options.listen.port, options.listen.host);
  const address = app.getHttpServer().address();
  options.logger.info({ address }, 'listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    options.health.markDraining();
    options.logger.info({ signal }, 'shutting down');
    const timeout = setTimeout(() => {
      options.logger.error({ timeoutMs: options.shutdownTimeoutMs ?? 15000 }, 'shutdown timed out; exiting');
      process.exit(1);
    }, options.shutdownTimeoutMs ?? 15000);
    timeout.unref();
    app
      .close()
      .then(() => {
        options.logger.info('stopped');
        process.exit(0);
      })
      .catch((e: unknown) => {
        options.logger.error({ err: e }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return app;
}

/** The bound port (for listen port 0 in tests). */
export function boundPort(app: NestFastifyApplication): number {
  const address = app.getHttpServer().address();
  return typeof address === 'object' && address ? address.port : 0;
}
