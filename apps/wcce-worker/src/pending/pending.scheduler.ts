import { EnrollErrorCode, JOB_RETRIEVE, QUEUE_PENDING, resultJobIdFor, type RetrieveJob } from '@enrollgate/contracts';
import type { Logger, Metrics } from '@enrollgate/platform';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { CaError, type CaClient } from '../ca/ca-client.js';
import { resultFromOutcome, toErrorInfo, type ResultPublisher } from '../enroll/enroll.processor.js';

export interface PendingOptions {
  connection: ConnectionOptions;
  prefix?: string;
  /** First retrieve after this long; doubles up to maxIntervalMs. */
  initialIntervalMs: number;
  maxIntervalMs: number;
  /** A request still pending after this long fails with PENDING_EXPIRED. */
  maxAgeMs: number;
  concurrency?: number;
  /** How often the pending-requests gauge is refreshed. Default 10 s. */
  gaugeIntervalMs?: number;
}

/**
 * Requests the CA took "under submission" (disposition 5, e.g. manager approval) are polled with
 * retrieve calls on the same CA, on a backoff schedule, until issued, denied or too old
 * (acme2certifier loses them: its issue #108). The schedule lives in Redis as delayed jobs, so a
 * restarted worker picks it up.
 */
export class PendingScheduler {
  readonly queue: Queue<RetrieveJob>;

  constructor(private readonly options: PendingOptions) {
    this.queue = new Queue<RetrieveJob>(QUEUE_PENDING, { connection: options.connection, prefix: options.prefix });
  }

  get maxAgeMs(): number {
    return this.options.maxAgeMs;
  }

  delayFor(polls: number): number {
    return Math.min(this.options.maxIntervalMs, this.options.initialIntervalMs * 2 ** polls);
  }

  async schedule(job: RetrieveJob): Promise<void> {
    await this.queue.add(JOB_RETRIEVE, job, {
      jobId: `${job.enrollJobId}-retrieve-${job.polls}`,
      delay: this.delayFor(job.polls),
      attempts: 1,
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** Consumes the retrieve jobs. */
export class PendingPoller {
  readonly worker: Worker<RetrieveJob>;
  private readonly polls;
  private readonly gaugeTimer: NodeJS.Timeout;

  constructor(
    private readonly ca: CaClient,
    private readonly scheduler: PendingScheduler,
    private readonly results: ResultPublisher,
    private readonly logger: Logger,
    metrics: Metrics,
    options: PendingOptions,
  ) {
    this.polls = metrics.counter('worker_pending_polls_total', 'Retrieve calls for pending requests, by result', ['result']);
    this.worker = new Worker<RetrieveJob>(QUEUE_PENDING, (job) => this.process(job), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 4,
    });
    this.worker.on('error', (e) => logger.error({ err: e }, 'pending poller error'));
    // Requests the CA holds as pending, across all workers (the schedule lives in Redis).
    const pending = metrics.gauge('worker_pending_requests', 'Requests pending at the CA and scheduled for retrieval');
    const refresh = () => {
      scheduler.queue
        .getJobCountByTypes('delayed', 'waiting', 'active')
        .then((n) => pending.set(n))
        .catch(() => undefined);
    };
    refresh();
    this.gaugeTimer = setInterval(refresh, options.gaugeIntervalMs ?? 10_000);
    this.gaugeTimer.unref();
  }

  async process(job: Job<RetrieveJob>): Promise<void> {
    const data = job.data;
    const age = Date.now() - Date.parse(data.pendingSince);
    const polls = data.polls + 1;
    try {
      const outcome = await this.ca.retrieve(data.ca);
      if (outcome.kind !== 'pending') {
        const result = resultFromOutcome(data.enroll, outcome, 1);
        await this.results.publish(result, resultJobIdFor(data.enrollJobId, result.outcome));
        this.polls.inc({ result: outcome.kind });
        this.logger.info({ requestKey: data.enroll.requestKey, caRequestId: data.ca.caRequestId, outcome: outcome.kind, polls }, 'pending request resolved');
        return;
      }
      this.polls.inc({ result: 'pending' });
    } catch (e) {
      const info = toErrorInfo(e);
      this.polls.inc({ result: info.code });
      if (!(e instanceof CaError && (e.retryable || e.code === EnrollErrorCode.AUTH_FAILED))) {
        const result = {
          requestKey: data.enroll.requestKey,
          protocol: data.enroll.protocol,
          outcome: 'denied' as const,
          error: info,
          ca: data.ca,
          attempts: 1,
          completedAt: new Date().toISOString(),
        };
        await this.results.publish(result, resultJobIdFor(data.enrollJobId, 'denied'));
        return;
      }
      this.logger.warn({ requestKey: data.enroll.requestKey, err: info.message }, 'retrieve failed; will poll again');
    }
    if (age > this.scheduler.maxAgeMs) {
      const result = {
        requestKey: data.enroll.requestKey,
        protocol: data.enroll.protocol,
        outcome: 'failed' as const,
        error: {
          code: EnrollErrorCode.PENDING_EXPIRED,
          message: `CA request ${data.ca.caRequestId} on ${data.ca.host}/${data.ca.caName} still pending after ${Math.round(age / 1000)} s`,
        },
        attempts: 1,
        completedAt: new Date().toISOString(),
      };
      await this.results.publish(result, resultJobIdFor(data.enrollJobId, 'failed'));
      return;
    }
    await this.scheduler.schedule({ ...data, polls });
  }

  async close(): Promise<void> {
    clearInterval(this.gaugeTimer);
    await this.worker.close();
  }
}
