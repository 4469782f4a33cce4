/**
 * A stand-in for wcce-worker in in-process tests: consumes the real `enroll` queue on real Redis
 * and answers on the real results queue, issuing from a local CA. Templates: EnrollmentAgentOffline
 * and CEPEncryption get the RA key usages; `ManagerApproval` pends until approve(); a CSR whose CN
 * contains "deny" is denied.
 */
import { JOB_RESULT, QUEUE_ENROLL, RESULTS_QUEUE, type EnrollJob, type EnrollResult } from '@enrollgate/contracts';
import { createRootCa, Eku, type CertificateAuthority, type KeyUsageName } from '@enrollgate/pki';
import { Queue, Worker } from 'bullmq';

export class FakeCaWorker {
  private worker!: Worker<EnrollJob>;
  private results!: Queue<EnrollResult>;
  readonly pending = new Map<string, EnrollJob>();
  readonly jobs: EnrollJob[] = [];
  private nextId = 1;

  private constructor(readonly ca: CertificateAuthority) {}

  static async start(redisUrl: string, prefix: string): Promise<FakeCaWorker> {
    const ca = await createRootCa({ subject: 'CN=Fake SCEP Test CA' });
    const sut = new FakeCaWorker(ca);
    const u = new URL(redisUrl);
    const connection = { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null };
    sut.results = new Queue<EnrollResult>(RESULTS_QUEUE.scep, { connection, prefix });
    sut.worker = new Worker<EnrollJob>(QUEUE_ENROLL, (job) => sut.process(job.data), { connection, prefix, concurrency: 4 });
    return sut;
  }

  private async process(job: EnrollJob): Promise<void> {
    this.jobs.push(job);
    const base = { requestKey: job.requestKey, protocol: 'scep' as const, attempts: 1, completedAt: new Date().toISOString() };
    const ca = { caRequestId: this.nextId++, host: 'fake', caName: 'Fake SCEP Test CA' };
    if (job.template === 'ManagerApproval') {
      this.pending.set(job.requestKey, job);
      await this.results.add(JOB_RESULT, { ...base, outcome: 'pending', ca }, { jobId: `r${ca.caRequestId}` });
      return;
    }
    if (/CN=[^,]*deny/i.test(Buffer.from(job.csr, 'base64').toString('latin1')) || Buffer.from(job.csr, 'base64').toString('latin1').includes('deny')) {
      await this.results.add(
        JOB_RESULT,
        { ...base, outcome: 'denied', ca, error: { code: 'CA_DENIED', message: 'Denied by Policy Module', status: '0x80094012' } },
        { jobId: `r${ca.caRequestId}` },
      );
      return;
    }
    await this.issue(job, ca.caRequestId);
  }

  async issue(job: EnrollJob, caRequestId = this.nextId++): Promise<void> {
    const usages: Record<string, [KeyUsageName[], string[]]> = {
      EnrollmentAgentOffline: [['digitalSignature'], [Eku.certificateRequestAgent]],
      CEPEncryption: [['keyEncipherment'], [Eku.certificateRequestAgent]],
    };
    const [keyUsages, extendedKeyUsages] = usages[job.template] ?? [['digitalSignature', 'keyEncipherment'], [Eku.clientAuth]];
    const issued = await this.ca.issue({ csr: new Uint8Array(Buffer.from(job.csr, 'base64')), validityDays: 30, keyUsages, extendedKeyUsages });
    const result: EnrollResult = {
      requestKey: job.requestKey,
      protocol: 'scep',
      outcome: 'issued',
      attempts: 1,
      completedAt: new Date().toISOString(),
      certificate: Buffer.from(issued.der).toString('base64'),
      chain: issued.chain.slice(1).map((c) => Buffer.from(c).toString('base64')),
      ca: { caRequestId, host: 'fake', caName: 'Fake SCEP Test CA' },
    };
    await this.results.add(JOB_RESULT, result, { jobId: `i${caRequestId}` });
  }

  /** The certificate manager approves a pending request. */
  async approve(requestKey: string): Promise<void> {
    const job = this.pending.get(requestKey);
    if (!job) throw new Error(`no pending request ${requestKey}`);
    this.pending.delete(requestKey);
    await this.issue(job);
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.results.close();
  }
}
