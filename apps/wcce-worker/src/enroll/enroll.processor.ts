import { EnrollErrorCode, resultJobIdFor, type EnrollJob, type EnrollResult, type ErrorInfo } from '@enrollgate/contracts';
import type { Logger, Metrics } from '@enrollgate/platform';
import { DelayedError, type Job } from 'bullmq';
import { CaError, type CaClient, type CaOutcome } from '../ca/ca-client.js';
import type { PendingScheduler } from '../pending/pending.scheduler.js';

export interface ResultPublisher {
  publish(result: EnrollResult, resultJobId: string): Promise<void>;
}

export interface EnrollProcessorOptions {
  /** A parked job (blocked credential) fails after this age. Default 24 h. */
  maxAgeMs?: number;
  /** How long a job waits before trying a blocked credential again. Default 60 s. */
  credentialRetryMs?: number;
  pending?: PendingScheduler;
}

/** Request attribute carrying who asked, so the CA's database shows it (never trusted by the CA). */
export const REQUESTER_ATTRIBUTE = 'EnrollgateRequester';

/**
 * Thin processor (STYLE.md): decode the job, make one CA call through the CaClient, map the
 * outcome onto the results contract, publish it. Transient failures rethrow while BullMQ attempts
 * remain; the last one publishes `failed` so the front-end always hears back. A job whose
 * credential is blocked is parked, not failed, until the password is fixed or it grows too old.
 */
export class EnrollProcessor {
  private readonly outcomes;
  private readonly queueWait;

  constructor(
    private readonly ca: CaClient,
    private readonly results: ResultPublisher,
    private readonly logger: Logger,
    metrics: Metrics,
    private readonly options: EnrollProcessorOptions = {},
  ) {
    this.outcomes = metrics.counter('worker_enrollments_total', 'Enrollment jobs processed, by outcome', ['outcome']);
    this.queueWait = metrics.histogram('worker_queue_wait_seconds', 'Time from acceptance by a front-end to processing start');
  }

  async process(job: Job<EnrollJob>, token?: string): Promise<EnrollResult> {
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
        attributes: { ...(data.attributes ?? {}), [REQUESTER_ATTRIBUTE]: requesterValue(data) },
        caPool: data.caPool,
        caName: data.caName,
        auditKey: data.requestKey,
      });
      result = this.fromOutcome(data, outcome, attempt);
    } catch (e) {
      const error = toErrorInfo(e);
      const retryable = e instanceof CaError ? e.retryable : false;
      const tooOld = Number.isFinite(submittedAt) && Date.now() - submittedAt > (this.options.maxAgeMs ?? 24 * 3600_000);
      if (e instanceof CaError && e.code === EnrollErrorCode.AUTH_FAILED && token && !tooOld) {
        // Park without consuming an attempt; every worker skips the blocked credential meanwhile.
        await job.moveToDelayed(Date.now() + (this.options.credentialRetryMs ?? 60_000), token);
        this.logger.warn({ jobId, requestKey: data.requestKey, error: error.message }, 'credential blocked; enrollment parked');
        throw new DelayedError();
      }
      if (retryable && attempt < maxAttempts && !tooOld) {
        this.logger.warn({ jobId, attempt, maxAttempts, error }, 'transient CA error; BullMQ will retry');
        throw e;
      }
      result = {
        requestKey: data.requestKey,
        protocol: data.protocol,
        outcome: retryable || error.code === EnrollErrorCode.AUTH_FAILED ? 'failed' : 'denied',
        error,
        attempts: attempt,
        completedAt: new Date().toISOString(),
      };
    }
    await this.results.publish(result, resultJobIdFor(jobId, result.outcome));
    if (result.outcome === 'pending' && this.options.pending) {
      await this.options.pending.schedule({ enroll: data, enrollJobId: jobId, ca: result.ca, pendingSince: result.completedAt, polls: 0 });
    }
    this.outcomes.inc({ outcome: result.outcome });
    this.logger.info({ jobId, requestKey: data.requestKey, outcome: result.outcome, attempt }, 'enrollment processed');
    return result;
  }

  private fromOutcome(data: EnrollJob, outcome: CaOutcome, attempt: number): EnrollResult {
    return resultFromOutcome(data, outcome, attempt);
  }
}

export function resultFromOutcome(data: Pick<EnrollJob, 'requestKey' | 'protocol'>, outcome: CaOutcome, attempts: number): EnrollResult {
  const base = { requestKey: data.requestKey, protocol: data.protocol, attempts, completedAt: new Date().toISOString() };
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

function requesterValue(job: EnrollJob): string {
  // One attribute line: no line breaks, bounded length (MS-WCCE 3.2.1.4.2.1.2 splits on \n).
  return `${job.requester.protocol}:${job.requester.subject}`.replace(/[\r\n]+/g, ' ').slice(0, 256);
}

export function toErrorInfo(e: unknown): ErrorInfo {
  if (e instanceof CaError) return { code: e.code, message: e.message, status: e.info.status, statusName: e.info.statusName };
  return { code: EnrollErrorCode.INTERNAL, message: e instanceof Error ? e.message : String(e) };
}
