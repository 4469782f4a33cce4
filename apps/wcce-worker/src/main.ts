import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { ConfigError, HealthRegistry, Metrics, PlatformModule, createLogger, createRedis, pingRedis, startHttpApp } from '@enrollgate/platform';
import { NtlmProvider } from '@enrollgate/wcce';
import { IcprCaClient } from './ca/icpr-ca-client.js';
import { caTargets, loadWorkerConfig } from './config.js';
import { EnrollProcessor } from './enroll/enroll.processor.js';
import { EnrollWorker, QueueResultPublisher } from './enroll/enroll.worker.js';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const logger = createLogger({ app: 'wcce-worker', level: config.LOG_LEVEL });
  const metrics = new Metrics('wcce-worker');
  const health = new HealthRegistry();
  const redis = createRedis(config.REDIS_URL, { connectionName: 'enrollgate-wcce-worker' });
  health.register('redis', () => pingRedis(redis));

  const provider = new NtlmProvider({
    kind: 'ntlm',
    domain: config.WCCE_TARGET_DOMAIN,
    user: config.WCCE_USER,
    password: config.WCCE_PASSWORD.reveal(),
  });
  const timeoutMs = config.WCCE_TIMEOUT * 1000;
  const ca = new IcprCaClient({
    targets: caTargets(config),
    pool: {
      provider,
      connectTimeoutMs: timeoutMs,
      timeoutMs,
      callDeadlineMs: config.WCCE_CALL_DEADLINE * 1000,
      maxConnectionsPerTarget: config.WCCE_MAX_CONNECTIONS_PER_HOST,
    },
    logger: logger.child({ component: 'icpr' }),
    metrics,
  });
  const publisher = new QueueResultPublisher(redis, config.QUEUE_PREFIX);
  const processor = new EnrollProcessor(ca, publisher, logger, metrics);
  const worker = new EnrollWorker(processor, { connection: redis, prefix: config.QUEUE_PREFIX, concurrency: config.WORKER_CONCURRENCY, logger });
  logger.info(
    { targets: caTargets(config).map((t) => `${t.host}:${t.port}/${t.caName}`), user: `${config.WCCE_TARGET_DOMAIN}\\${config.WCCE_USER}`, concurrency: config.WORKER_CONCURRENCY },
    'wcce-worker consuming the enroll queue',
  );

  @Module({ imports: [PlatformModule.forRoot({ logger, metrics, health })] })
  class WorkerModule {
    async onModuleDestroy(): Promise<void> {
      await worker.close();
      await publisher.close();
      await ca.close();
      redis.disconnect();
    }
  }

  await startHttpApp(WorkerModule, { logger, health, listen: config.WORKER_LISTEN, shutdownTimeoutMs: 20000 });
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    process.stderr.write(e.message + '\n');
    process.exit(2);
  }
  process.stderr.write(`wcce-worker failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
