import type { EnrollProtocol } from '@enrollgate/contracts';
import { createRedis, pingRedis, type HealthRegistry, type Logger } from '@enrollgate/platform';
import { EnrollmentRepository, openDatabase, type StoreDatabase } from '@enrollgate/store';
import type { Redis } from 'ioredis';
import { EnrollmentProducer } from './enroll/enrollment.producer.js';
import { ResultsConsumer, type ResultsConsumerOptions } from './results/results.consumer.js';

export interface FrontendRuntimeOptions {
  protocol: EnrollProtocol;
  redisUrl: string;
  databaseUrl: string;
  queuePrefix: string;
  logger: Logger;
  health: HealthRegistry;
  onResult?: ResultsConsumerOptions['onResult'];
}

/**
 * What every front-end (acme-api, scep-api) holds: its database, Redis, the `enroll` producer
 * and its own results consumer, registered with readiness, closed in order on shutdown.
 */
export class FrontendRuntime {
  private constructor(
    readonly database: StoreDatabase,
    readonly redis: Redis,
    readonly enrollments: EnrollmentRepository,
    readonly producer: EnrollmentProducer,
    readonly consumer: ResultsConsumer,
  ) {}

  static async start(options: FrontendRuntimeOptions): Promise<FrontendRuntime> {
    const database = await openDatabase(options.databaseUrl);
    const redis = createRedis(options.redisUrl, { connectionName: `enrollgate-${options.protocol}-api` });
    const enrollments = new EnrollmentRepository(database);
    const connection = redis;
    const producer = new EnrollmentProducer(enrollments, { connection, prefix: options.queuePrefix });
    const consumer = new ResultsConsumer(enrollments, {
      protocol: options.protocol,
      connection,
      prefix: options.queuePrefix,
      logger: options.logger.child({ component: 'results-consumer' }),
      onResult: options.onResult,
    });
    options.health.register('redis', () => pingRedis(redis)).register('database', () => database.ping());
    return new FrontendRuntime(database, redis, enrollments, producer, consumer);
  }

  async close(): Promise<void> {
    await this.consumer.close();
    await this.producer.close();
    this.redis.disconnect();
    await this.database.close();
  }
}
