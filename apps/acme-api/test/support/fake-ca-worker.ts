/**
 * A stand-in for wcce-worker + AD CS in the integration specs: consumes `enroll`, issues from a
 * local CA (libs/pki), and answers on results-acme exactly as the worker does. Templates steer
 * the outcome: `Denied` → denied CA_DENIED, `Pending` → pending until approve(), `Flaky` →
 * failed CA_UNREACHABLE (transient) the first time per request key, `Unreachable` → always failed.
 * The real worker and simulator are exercised by the interop specs.
 */
import { JOB_RESULT, QUEUE_ENROLL, RESULTS_QUEUE, type EnrollJob, type EnrollResult } from '@enrollgate/contracts';
import { certificatePem, createRootCa, type CertificateAuthority } from '@enrollgate/pki';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

export class FakeCaWorker {
  readonly submitted: EnrollJob[] = [];
  private readonly pending = new Map<string, EnrollJob>();
  private readonly flaked = new Set<string>();
  private nextRequestId = 1;

  private constructor(
    readonly ca: CertificateAuthority,
    private readonly worker: Worker<EnrollJob>,
    private readonly results: Queue<EnrollResult>,
  ) {}

  static async start(connection: Redis, prefix: string): Promise<FakeCaWorker> {
    const ca = await createRootCa({ subject: 'CN=enrollgate-test-CA', key: 'p256' });
    const results = new Queue<EnrollResult>(RESULTS_QUEUE.acme, { connection, prefix });
    const holder: { self?: FakeCaWorker } = {};
    const worker = new Worker<EnrollJob>(QUEUE_ENROLL, async (job) => holder.self?.handle(job.data), { connection, prefix, concurrency: 4 });
    holder.self = new FakeCaWorker(ca, worker, results);
    return holder.self;
  }

  get caPem(): string {
    return certificatePem(this.ca.certificate);
  }

  private async handle(job: EnrollJob): Promise<void> {
    this.submitted.push(job);
    const base = { requestKey: job.requestKey, protocol: 'acme' as const, attempts: 1, completedAt: new Date().toISOString() };
    const ca = { caRequestId: this.nextRequestId++, host: 'fake-ca', caName: 'enrollgate-test-CA' };
    switch (job.template) {
      case 'Denied':
        return this.publish({ ...base, outcome: 'denied', error: { code: 'CA_DENIED', message: 'Denied by Policy Module', status: '0x80094012' }, ca });
      case 'Pending':
        this.pending.set(job.requestKey, job);
        return this.publish({ ...base, outcome: 'pending', ca, message: 'Taken Under Submission' });
      case 'Unreachable':
        return this.publish({ ...base, outcome: 'failed', error: { code: 'CA_UNREACHABLE', message: 'connect ECONNREFUSED' } });
      case 'Flaky':
        if (!this.flaked.has(job.requestKey.split('.')[0] as string)) {
          this.flaked.add(job.requestKey.split('.')[0] as string);
          return this.publish({ ...base, outcome: 'failed', error: { code: 'CA_UNREACHABLE', message: 'connect ECONNREFUSED' } });
        }
        return this.issue(job, base, ca);
      default:
        return this.issue(job, base, ca);
    }
  }

  /** The CA manager approves a pending request (the simulator's POST /requests/:id/approve). */
  async approve(requestKey: string): Promise<void> {
    const job = this.pending.get(requestKey);
    if (!job) throw new Error(`no pending request ${requestKey}`);
    this.pending.delete(requestKey);
    await this.issue(
      job,
      { requestKey, protocol: 'acme', attempts: 1, completedAt: new Date().toISOString() },
      { caRequestId: 999, host: 'fake-ca', caName: 'enrollgate-test-CA' },
    );
  }

  private async issue(
    job: EnrollJob,
    base: { requestKey: string; protocol: 'acme'; attempts: number; completedAt: string },
    ca: { caRequestId: number; host: string; caName: string },
  ): Promise<void> {
    const issued = await this.ca.issue({
      csr: new Uint8Array(Buffer.from(job.csr, 'base64')),
      validityDays: 90,
      keyUsages: ['digitalSignature'],
      extendedKeyUsages: ['1.3.6.1.5.5.7.3.1'],
    });
    await this.publish({
      ...base,
      outcome: 'issued',
      certificate: Buffer.from(issued.der).toString('base64'),
      chain: issued.chain.slice(1).map((c) => Buffer.from(c).toString('base64')),
      ca,
    });
  }

  private async publish(result: EnrollResult): Promise<void> {
    await this.results.add(JOB_RESULT, result, { jobId: `${result.requestKey}-${result.outcome}-${Date.now()}` });
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.results.close();
  }
}
