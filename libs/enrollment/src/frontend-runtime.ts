import { EventEmitter } from 'node:events';
import type { EnrollProtocol, EnrollResult } from '@enrollgate/contracts';
import { WakeableSleep, createRedis, pingRedis, type HealthRegistry, type Logger } from '@enrollgate/platform';
import { EnrollmentRepository, isFinalStatus, openDatabase, type Enrollment, type StoreDatabase } from '@enrollgate/store';
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
    private readonly events: EventEmitter,
    private readonly protocol: EnrollProtocol,
  ) {}

  /**
   * Waits up to `timeoutMs` for the enrollment to leave `queued` (a result arrived: issued,
   * pending, denied, failed), and returns its current state either way. A result persisted here
   * wakes the wait at once and hands over the enrollment as persisted (no second read); one
   * persisted by another replica is seen by polling the database every `pollMs`.
   * Used by finalize (ACME) and PKIOperation (SCEP) to answer fast without holding clients long.
   * `start`, when given, runs once the wait listens (e.g. the submission) and supplies the first
   * state instead of a read (one is made when it yields nothing).
   */
  async waitForResult(requestKey: string, timeoutMs: number, pollMs = 250, start?: () => Promise<Enrollment | undefined>): Promise<Enrollment | undefined> {
    const deadline = Date.now() + timeoutMs;
    let delivered: Enrollment | undefined;
    const sleeper = new WakeableSleep();
    // Listening before the first read: a result persisted meanwhile is not missed.
    const onResult = (key: string, enrollment: Enrollment | undefined) => {
      if (key !== requestKey) return;
      if (enrollment && enrollment.requestKey === requestKey) delivered = enrollment;
      sleeper.signal();
    };
    this.events.on('result', onResult);
    try {
      const started = start ? await start() : undefined;
      let current = started?.requestKey === requestKey ? started : await this.enrollments.get(this.protocol, requestKey);
      while (current && current.status === 'queued' && Date.now() < deadline) {
        await sleeper.sleep(Math.min(pollMs, deadline - Date.now()));
        const handed = delivered;
        delivered = undefined;
        current = handed && handed.status !== 'queued' ? handed : await this.enrollments.get(this.protocol, requestKey);
      }
      return current;
    } finally {
      this.events.off('result', onResult);
    }
  }

  /** True when the enrollment has reached a final state (issued, denied, failed). */
  static isFinal(enrollment: Enrollment): boolean {
    return isFinalStatus(enrollment.status);
  }

  static async start(options: FrontendRuntimeOptions): Promise<FrontendRuntime> {
    const database = await openDatabase(options.databaseUrl);
    const redis = createRedis(options.redisUrl, { connectionName: `enrollgate-${options.protocol}-api` });
    const enrollments = new EnrollmentRepository(database);
    const connection = redis;
    const producer = new EnrollmentProducer(enrollments, { connection, prefix: options.queuePrefix });
    const events = new EventEmitter();
    events.setMaxListeners(0);
    const consumer = new ResultsConsumer(enrollments, {
      protocol: options.protocol,
      connection,
      prefix: options.queuePrefix,
      logger: options.logger.child({ component: 'results-consumer' }),
      onResult: (result: EnrollResult, applied, enrollment) => {
        events.emit('result', result.requestKey, enrollment);
        options.onResult?.(result, applied, enrollment);
      },
    });
    options.health.register('redis', () => pingRedis(redis)).register('database', () => database.ping());
    return new FrontendRuntime(database, redis, enrollments, producer, consumer, events, options.protocol);
  }

  async close(): Promise<void> {
    await this.consumer.close();
    await this.producer.close();
    this.redis.disconnect();
    await this.database.close();
  }
}
