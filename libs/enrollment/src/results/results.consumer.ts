import { RESULTS_QUEUE, type EnrollProtocol, type EnrollResult } from '@enrollgate/contracts';
import type { Enrollment, EnrollmentRepository } from '@enrollgate/store';
import type { Logger } from '@enrollgate/platform';
import { Worker, type ConnectionOptions } from 'bullmq';

export interface ResultsConsumerOptions {
  protocol: EnrollProtocol;
  connection: ConnectionOptions;
  prefix?: string;
  concurrency?: number;
  logger?: Logger;
  /** Called after each result, applied or a duplicate (front-ends wake waiting requests). */
  onResult?: (result: EnrollResult, applied: boolean, enrollment: Enrollment | undefined) => void;
}

/**
 * Consumes the protocol's results queue and persists each result once: the database's unique
 * result key decides, not the BullMQ job id (a removed job no longer deduplicates). A front-end
 * that was down catches up from the queue when it returns.
 */
export class ResultsConsumer {
  readonly worker: Worker<EnrollResult>;

  constructor(
    private readonly repository: EnrollmentRepository,
    options: ResultsConsumerOptions,
  ) {
    this.worker = new Worker<EnrollResult>(
      RESULTS_QUEUE[options.protocol],
      async (job) => {
        const result = job.data;
        if (result.protocol !== options.protocol) {
          throw new Error(`result for protocol ${result.protocol} on the ${options.protocol} results queue`);
        }
        const { applied, enrollment } = await this.repository.recordResult(result);
        options.logger?.info(
          { requestKey: result.requestKey, outcome: result.outcome, applied, jobId: job.id },
          applied ? 'enrollment result persisted' : 'duplicate enrollment result ignored',
        );
        options.onResult?.(result, applied, enrollment);
        return { applied };
      },
      {
        connection: options.connection,
        prefix: options.prefix,
        concurrency: options.concurrency ?? 8,
        removeOnComplete: { age: 3600, count: 10000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
    this.worker.on('error', (e) => options.logger?.error({ err: e }, 'results consumer error'));
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}
