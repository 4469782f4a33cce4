import {
  EnrollErrorCode,
  resultJobIdFor,
  type EnrollJob,
  type EnrollResult,
  type ErrorInfo,
} from '@enrollgate/contracts';
import type { Logger, Metrics } from '@enrollgate/platform';
import type { Job } from 'bullmq';
import { CaError, type CaClient, type CaOutcome } from '../ca/ca-client.js';

export interface ResultPublisher {
  publish(result: EnrollResult, resultJobId: string): Promise<void>;
}

/**
 * Thin processor (STYLE.md): decode the job, make one CA call through the CaClient, map the
 * outcome onto the results contract, publish it. Transient failures rethrow while BullMQ attempts
 * remain; the last one publishes `failed` so the front-end always hears back.
 */
export class EnrollProcessor {
  private readonly calls;
  private readonly queueWait;

  constructor(
    private readonly ca: CaClient,
    private readonly results: ResultPublisher,
    private readonly logger: Logger,
    metrics: Metrics,
  ) {
    this.calls = metrics.counter('worker_enrollments_total', 'Enrollment jobs processed, by outcome', ['outcome']);
    this.queueWait = metrics.histogram('worker_queue_wait_seconds', 'Time from acceptance by a front-end to processing start');
  }

  async process(job: Job<EnrollJob>): Promise<EnrollResult> {
    const data = job.data;
    const jobId = job.id ?? 'unknown';
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const submittedAt = Date.parse(data.submittedAt);
    if (attempt === 1 && Number.isFinite(submittedAt)) this.queueWait.observe(Math.max(0, (Date.now() - submittedAt) / 1000));

    let result: EnrollResult;
    try {
      const outcome = await this.ca.submit({
        csrDer: Buffer.from(data.csr, 'base64'),
        template: data.template,
        attributes: data.attributes ?? {},
        caPool: data.caPool,
      });
      result = this.fromOutcome(data, outcome, attempt);
    } catch (e) {
      const error = toErrorInfo(e);
      const retryable = e instanceof CaError ? e.retryable : false;
      if (retryable && attempt < maxAttempts) {
        this.logger.warn({ jobId, attempt, maxAttempts, error }, 'transient CA error; BullMQ will retry');
        throw e;
      }
      result = {
        requestKey: data.requestKey,
        protocol: data.protocol,
        outcome: retryable ? 'failed' : 'denied',
        error,
        attempts: attempt,
        completedAt: new Date().toISOString(),
      };
    }
    await this.results.publish(result, resultJobIdFor(jobId, result.outcome));
    this.calls.inc({ outcome: result.outcome });
    this.logger.info({ jobId, requestKey: data.requestKey, outcome: result.outcome, attempt }, 'enrollment processed');
    return result;
  }

  private fromOutcome(data: EnrollJob, outcome: CaOutcome, attempt: number): EnrollResult {
    const base = { requestKey: data.requestKey, protocol: data.protocol, attempts: attempt, completedAt: new Date().toISOString() };
    switch (outcome.kind) {
      case 'issued':
        return {
          ...base,
          outcome: 'issued',
          certificate: outcome.certificate.toString('base64'),
          chain: outcome.chain.map((c) => c.toString('base64')),
          ca: outcome.ca,
        };
      case 'pending':
        return { ...base, outcome: 'pending', ca: outcome.ca, message: outcome.message };
      case 'denied':
        return { ...base, outcome: 'denied', error: outcome.error, ca: outcome.ca };
    }
  }
}

function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof CaError) {
    return { code: e.code, message: e.message, status: e.info.status, statusName: e.info.statusName };
  }
  return { code: EnrollErrorCode.INTERNAL, message: e instanceof Error ? e.message : String(e) };
}
