import { JOB_ENROLL, QUEUE_ENROLL, jobIdFor, type EnrollJob } from '@enrollgate/contracts';
import type { Enrollment, EnrollmentRepository } from '@enrollgate/store';
import { Queue, type ConnectionOptions } from 'bullmq';

export interface EnrollQueueOptions {
  connection: ConnectionOptions;
  /** BullMQ key prefix (tests isolate with their own). */
  prefix?: string;
  /**
   * Whole-job attempts: the worker retries and fails over inside one attempt; BullMQ re-runs a
   * job only after a transient failure of every CA or a crashed worker (stalled job).
   */
  attempts?: number;
  backoffMs?: number;
}

export interface SubmitOutcome {
  enrollment: Enrollment;
  /** False when this request key was already known: a retried HTTP request. */
  created: boolean;
  jobId: string;
}

/**
 * Front-end side of the `enroll` queue. Idempotent twice over (DESIGN.md Conventions): the
 * database row is unique per (protocol, request key), and the BullMQ job id is derived from it,
 * so a retried HTTP request never enqueues a second enrollment.
 */
export class EnrollmentProducer {
  readonly queue: Queue<EnrollJob>;

  constructor(
    private readonly repository: EnrollmentRepository,
    private readonly options: EnrollQueueOptions,
  ) {
    this.queue = new Queue<EnrollJob>(QUEUE_ENROLL, { connection: options.connection, prefix: options.prefix });
  }

  async submit(job: EnrollJob): Promise<SubmitOutcome> {
    const jobId = jobIdFor(job.protocol, job.requestKey);
    const { enrollment, created } = await this.repository.createOrGet(job, jobId);
    // Re-add while still queued: covers a crash between the INSERT and the add. BullMQ ignores an
    // add whose job id exists; once a result has arrived the row is no longer queued and a
    // retried request cannot start a second CA submission.
    if (enrollment.status === 'queued') {
      await this.queue.add(JOB_ENROLL, job, {
        jobId,
        attempts: this.options.attempts ?? 5,
        backoff: { type: 'exponential', delay: this.options.backoffMs ?? 2000 },
        removeOnComplete: { age: 24 * 3600, count: 10000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    }
    return { enrollment, created, jobId };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
