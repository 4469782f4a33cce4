import { JOB_RESULT, QUEUE_ENROLL, RESULTS_QUEUE, type EnrollJob, type EnrollProtocol, type EnrollResult } from '@enrollgate/contracts';
import type { Logger } from '@enrollgate/platform';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { EnrollProcessor, ResultPublisher } from './enroll.processor.js';

export interface EnrollWorkerOptions {
  connection: ConnectionOptions;
  prefix?: string;
  concurrency: number;
  /** Job lock; a stalled job (crashed worker) is re-run by another worker after it expires. Default 30 s. */
  lockDurationMs?: number;
  /** How long close() waits for in-flight CA calls before giving up on them. */
  drainTimeoutMs?: number;
  logger: Logger;
}

/** Publishes results onto the owning protocol's results queue, with a derived job id. */
export class QueueResultPublisher implements ResultPublisher {
  private readonly queues: Record<EnrollProtocol, Queue<EnrollResult>>;

  constructor(connection: ConnectionOptions, prefix?: string) {
    this.queues = {
      acme: new Queue<EnrollResult>(RESULTS_QUEUE.acme, { connection, prefix }),
      scep: new Queue<EnrollResult>(RESULTS_QUEUE.scep, { connection, prefix }),
    };
  }

  async publish(result: EnrollResult, resultJobId: string): Promise<void> {
    await this.queues[result.protocol].add(JOB_RESULT, result, {
      jobId: resultJobId,
      attempts: 10,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
  }
}

/** The BullMQ consumer of the `enroll` queue. */
export class EnrollWorker {
  readonly worker: Worker<EnrollJob, EnrollResult>;

  constructor(
    processor: EnrollProcessor,
    private readonly options: EnrollWorkerOptions,
  ) {
    this.worker = new Worker<EnrollJob, EnrollResult>(QUEUE_ENROLL, (job, token) => processor.process(job, token), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      // A crashed worker's job is picked up by another after the lock expires (stalled job).
      lockDuration: options.lockDurationMs ?? 30000,
      stalledInterval: Math.max(1000, Math.floor((options.lockDurationMs ?? 30000) / 2)),
      maxStalledCount: 3,
    });
    this.worker.on('error', (e) => options.logger.error({ err: e }, 'enroll worker error'));
    this.worker.on('failed', (job, e) => options.logger.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: e.message }, 'enroll attempt failed'));
  }

  /** Stop fetching, let in-flight jobs finish within the drain bound, then close. */
  async close(): Promise<void> {
    const drain = this.worker.close();
    const timeoutMs = this.options.drainTimeoutMs ?? 10000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([drain.then(() => 'drained' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.options.logger.warn({ timeoutMs }, 'in-flight enrollments did not finish in time; they will be re-run by another worker');
      await this.worker.close(true);
    }
  }
}
