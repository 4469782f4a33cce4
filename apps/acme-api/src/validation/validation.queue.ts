import { EventEmitter } from 'node:events';
import { WakeableSleep, type Logger } from '@enrollgate/platform';
import type { AcmeAuthorization, AcmeChallenge, AcmeOrderRepository } from '@enrollgate/store';
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { AcmeProblem } from '../acme/problems.js';
import { keyAuthorization } from '../jose/jwk.js';
import type { ChallengeValidator, ValidationOutcome } from './outcome.js';

/** This app's own queue: challenge validations, run by whichever replica takes the job. */
export const QUEUE_ACME_VALIDATE = 'acme-validate';
export const JOB_VALIDATE = 'validate';

export interface ValidateJob {
  challengeId: string;
  /**
   * What the challenge POST already read (identifier, challenge type and token, the account key's
   * thumbprint), so the first attempt needs no read; retries and jobs without it read it again.
   */
  target?: ValidationJobTarget;
}

export interface ValidationJobTarget {
  identifierType: AcmeAuthorization['identifier']['type'];
  identifierValue: string;
  type: string;
  token: string;
  thumbprint: string;
}

export interface ValidationQueueOptions {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  attempts: number;
  backoffMs: number;
  /** How long a valid authorization stays reusable. */
  authzReuseSeconds: number;
  logger: Logger;
  onOutcome?: (type: string, outcome: 'valid' | 'invalid' | 'retry') => void;
}

/**
 * Producer and processor of `acme-validate`. A challenge is validated once: its row moves
 * pending → processing before the job is added (job id = challenge id), and the outcome is a
 * compare-and-set processing → valid|invalid. Transient failures (connection refused, timeouts,
 * SERVFAIL) are retried with backoff; the last attempt's problem is recorded.
 */
export class ValidationQueue {
  readonly queue: Queue<ValidateJob>;
  private worker: Worker<ValidateJob> | undefined;
  private readonly done = new EventEmitter();

  constructor(
    private readonly orders: AcmeOrderRepository,
    private readonly validators: ReadonlyMap<string, ChallengeValidator>,
    private readonly options: ValidationQueueOptions,
  ) {
    this.queue = new Queue<ValidateJob>(QUEUE_ACME_VALIDATE, { connection: options.connection, prefix: options.prefix });
    this.done.setMaxListeners(0);
  }

  startWorker(): void {
    this.worker = new Worker<ValidateJob>(QUEUE_ACME_VALIDATE, (job) => this.process(job), {
      connection: this.options.connection,
      prefix: this.options.prefix,
      concurrency: this.options.concurrency,
      removeOnComplete: { age: 3600, count: 10000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
    this.worker.on('error', (e) => this.options.logger.error({ err: e }, 'validation worker error'));
    // Retries exhausted on an unexpected error (database down): the challenge must not stay processing.
    this.worker.on('failed', (job, e) => {
      if (!job || job.attemptsMade < (job.opts.attempts ?? 1) || e instanceof UnrecoverableError) return;
      const problem = new AcmeProblem('serverInternal', `validation could not run: ${e.message}`).toStored();
      void this.orders
        .recordChallengeOutcome(job.data.challengeId, { status: 'invalid', error: problem })
        .then((recorded) => this.done.emit('done', job.data.challengeId, recorded))
        .catch((err: unknown) => this.options.logger.error({ err, challengeId: job.data.challengeId }, 'cannot record failed validation'));
    });
  }

  /**
   * Adds the validation job and waits up to `timeoutMs` for the challenge to leave `processing`.
   * A validation finished by this replica wakes the wait at once (the listener is in place before
   * the job is added, so a fast validation is never missed) and hands over the challenge as
   * recorded, without reading it again; one finished by another replica is seen by polling the
   * database.
   */
  async enqueueAndWait(challengeId: string, timeoutMs: number, pollMs = 250, target?: ValidationJobTarget): Promise<AcmeChallenge | undefined> {
    const deadline = Date.now() + timeoutMs;
    let recorded: AcmeChallenge | undefined;
    const sleeper = new WakeableSleep();
    const listener = (id: string, challenge: AcmeChallenge | undefined) => {
      if (id !== challengeId) return;
      if (challenge) recorded = challenge;
      sleeper.signal();
    };
    this.done.on('done', listener);
    try {
      await this.queue.add(JOB_VALIDATE, target ? { challengeId, target } : { challengeId }, {
        jobId: `chall-${challengeId}`,
        attempts: this.options.attempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs },
        removeOnComplete: { age: 3600, count: 10000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
      let current: AcmeChallenge | undefined;
      do {
        await sleeper.sleep(Math.min(pollMs, deadline - Date.now()));
        current = recorded ?? (await this.orders.getChallenge(challengeId));
      } while (current && current.status === 'processing' && Date.now() < deadline);
      return current;
    } finally {
      this.done.off('done', listener);
    }
  }

  /** The processor: decode, validate once, record. Thin on purpose. */
  private async process(job: Job<ValidateJob>): Promise<string> {
    const { challengeId } = job.data;
    const target = job.attemptsMade === 0 && job.data.target ? job.data.target : await this.readTarget(challengeId);
    if (!target) return 'not processing';
    const validator = this.validators.get(target.type);
    let outcome: ValidationOutcome;
    if (!validator) {
      outcome = { ok: false, type: 'malformed', detail: `challenge type ${target.type} is not supported`, transient: false };
    } else {
      outcome = await validator.validate({
        type: target.identifierType,
        value: target.identifierValue,
        token: target.token,
        keyAuthorization: keyAuthorization(target.token, target.thumbprint),
      });
    }
    const challenge = { type: target.type };
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (!outcome.ok && outcome.transient && !lastAttempt) {
      this.options.onOutcome?.(challenge.type, 'retry');
      this.options.logger.info(
        { challengeId, type: challenge.type, attempt: job.attemptsMade + 1, detail: outcome.detail },
        'validation failed transiently; retrying',
      );
      throw new Error(outcome.detail);
    }
    const recorded = outcome.ok
      ? await this.orders.recordChallengeOutcome(challengeId, {
          status: 'valid',
          authzExpires: new Date(Date.now() + this.options.authzReuseSeconds * 1000).toISOString(),
        })
      : await this.orders.recordChallengeOutcome(challengeId, { status: 'invalid', error: new AcmeProblem(outcome.type, outcome.detail).toStored() });
    this.options.onOutcome?.(challenge.type, outcome.ok ? 'valid' : 'invalid');
    this.options.logger.info(
      {
        challengeId,
        type: challenge.type,
        ok: outcome.ok,
        ...(outcome.ok ? {} : { problem: outcome.type, detail: outcome.detail }),
        recorded: recorded !== undefined,
      },
      'challenge validated',
    );
    this.done.emit('done', challengeId, recorded);
    return outcome.ok ? 'valid' : 'invalid';
  }

  /** The challenge to validate, read from the store; undefined when it is not processing any more. */
  private async readTarget(challengeId: string): Promise<ValidationJobTarget | undefined> {
    const target = await this.orders.getValidationTarget(challengeId);
    const authz = target?.authorization;
    const challenge = authz?.challenges.find((c) => c.id === challengeId);
    if (!target || !authz || !challenge || challenge.status !== 'processing') return undefined;
    if (target.accountThumbprint === null) throw new UnrecoverableError(`challenge ${challengeId} has no account`);
    return {
      identifierType: authz.identifier.type,
      identifierValue: authz.identifier.value,
      type: challenge.type,
      token: challenge.token,
      thumbprint: target.accountThumbprint,
    };
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
