/**
 * The enrollment round trip over the real queue (DESIGN.md "The enrollment contract"):
 * front-end producer → Redis `enroll` → wcce-worker processor → results queue → front-end
 * results consumer → database. Real Redis, real SQLite and PostgreSQL; the CA is the named
 * LocalCaClientDouble (the MS-ICPR client is tested against adcs-sim elsewhere).
 */
import { Writable } from 'node:stream';
import { JOB_RESULT, QUEUE_ENROLL, RESULTS_QUEUE, jobIdFor, type EnrollJob, type EnrollResult } from '@enrollgate/contracts';
import { EnrollmentProducer, ResultsConsumer } from '@enrollgate/enrollment';
import { buildCsr, generateKeyPair, parseCertificate, verifyIssuedBy } from '@enrollgate/pki';
import { Metrics, createLogger } from '@enrollgate/platform';
import { EnrollmentRepository, migrateToLatest, openDatabase, type Enrollment, type StoreDatabase } from '@enrollgate/store';
import { Queue } from 'bullmq';
import { withDatabases, type OpenedTestDatabase } from '../../../test/support/databases.js';
import { openTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { EnrollProcessor } from '../src/enroll/enroll.processor.js';
import { EnrollWorker, QueueResultPublisher } from '../src/enroll/enroll.worker.js';
import { LocalCaClientDouble } from './doubles/local-ca-client.double.js';

const silent = new Writable({ write: (_c, _e, cb) => cb() });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const databases = await withDatabases();

describe.each(databases.map((d) => [d.name, d] as const))('enrollment round trip on %s', (_name, database) => {
  let opened: OpenedTestDatabase;
  let store: StoreDatabase;
  let redis: TestRedis;
  let repo: EnrollmentRepository;
  let producer: EnrollmentProducer;
  let consumer: ResultsConsumer;
  let worker: EnrollWorker;
  let publisher: QueueResultPublisher;
  let ca: LocalCaClientDouble;
  let csr: string;
  const events: { requestKey: string; applied: boolean }[] = [];

  beforeAll(async () => {
    opened = await database.open();
    store = await openDatabase(opened.url);
    await migrateToLatest(store);
    redis = await openTestRedis();
    repo = new EnrollmentRepository(store);
    const logger = createLogger({ app: 'test', destination: silent });
    producer = new EnrollmentProducer(repo, { connection: redis.client, prefix: redis.prefix, attempts: 3, backoffMs: 20 });
    consumer = new ResultsConsumer(repo, {
      protocol: 'acme',
      connection: redis.client,
      prefix: redis.prefix,
      logger,
      onResult: (r, applied) => events.push({ requestKey: r.requestKey, applied }),
    });
    ca = await LocalCaClientDouble.create();
    publisher = new QueueResultPublisher(redis.client, redis.prefix);
    const processor = new EnrollProcessor(ca, publisher, logger, new Metrics('test'));
    worker = new EnrollWorker(processor, { connection: redis.client, prefix: redis.prefix, concurrency: 4, logger });
    const keys = await generateKeyPair('p256');
    const built = await buildCsr({ subject: 'CN=web.example.test', keys, sans: [{ type: 'dns', value: 'web.example.test' }] });
    csr = Buffer.from(built.der).toString('base64');
  });

  afterAll(async () => {
    await worker?.close();
    await consumer?.close();
    await producer?.close();
    await publisher?.close();
    await redis?.cleanup();
    await store?.close();
    await opened?.cleanup();
  });

  const job = (requestKey: string): EnrollJob => ({
    requestKey,
    protocol: 'acme',
    csr,
    template: 'WebServer',
    requester: { protocol: 'acme', subject: 'acct-1' },
    submittedAt: new Date().toISOString(),
  });

  const finalState = (requestKey: string) =>
    until<Enrollment>(`${requestKey} to finish`, async () => {
      const e = await repo.get('acme', requestKey);
      return e && ['issued', 'denied', 'failed'].includes(e.status) ? e : undefined;
    });

  it('issues through the queue and persists the certificate, verifiable against the CA', async () => {
    ca.script = [];
    ca.fallback = 'issue';
    const first = await producer.submit(job('order-issue-1'));
    expect(first.created).toBe(true);
    expect(first.jobId).toBe(jobIdFor('acme', 'order-issue-1'));
    const done = await finalState('order-issue-1');
    expect(done.status).toBe('issued');
    const leaf = parseCertificate(Buffer.from(done.certificate as string, 'base64'));
    expect(() => verifyIssuedBy(leaf, ca.ca.certificate)).not.toThrow();
    expect(leaf.subject).toContain('web.example.test');
  });

  it('never enqueues twice for a retried request', async () => {
    const before = ca.calls;
    const [a, b] = await Promise.all([producer.submit(job('order-dup-1')), producer.submit(job('order-dup-1'))]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.jobId).toBe(b.jobId);
    await finalState('order-dup-1');
    const again = await producer.submit(job('order-dup-1'));
    expect(again.created).toBe(false);
    expect(again.enrollment.status).toBe('issued');
    await new Promise((r) => setTimeout(r, 200));
    expect(ca.calls - before).toBe(1);
  });

  it('retries a transient CA failure and issues on a later attempt', async () => {
    ca.calls = 0;
    ca.script = ['transient', 'transient'];
    await producer.submit(job('order-retry-1'));
    const done = await finalState('order-retry-1');
    expect(done.status).toBe('issued');
    expect(done.attempts).toBe(3);
  });

  it('fails after the last attempt with the transient error recorded', async () => {
    ca.calls = 0;
    ca.script = ['transient', 'transient', 'transient'];
    await producer.submit(job('order-fail-1'));
    const done = await finalState('order-fail-1');
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('CA_UNREACHABLE');
  });

  it('ends a denied request at once, with the CA status, and no retries', async () => {
    ca.calls = 0;
    ca.script = ['deny'];
    await producer.submit(job('order-deny-1'));
    const done = await finalState('order-deny-1');
    expect(done.status).toBe('denied');
    expect(done.error?.status).toBe('0x80094012');
    expect(ca.calls).toBe(1);
  });

  it('persists a result delivered twice exactly once (database key, not the job id)', async () => {
    ca.calls = 0;
    ca.script = [];
    await producer.submit(job('order-redeliver-1'));
    const done = await finalState('order-redeliver-1');
    const results = new Queue<EnrollResult>(RESULTS_QUEUE.acme, { connection: redis.client, prefix: redis.prefix });
    const replay: EnrollResult = {
      requestKey: 'order-redeliver-1',
      protocol: 'acme',
      outcome: 'issued',
      certificate: done.certificate as string,
      chain: [],
      ca: done.ca!,
      attempts: 1,
      completedAt: new Date().toISOString(),
    };
    const recorded = await repo.recordResult(replay);
    expect(recorded.applied).toBe(false);
    await results.add(JOB_RESULT, replay, { jobId: 'a-different-job-id' });
    await until('replayed job to complete', async () => ((await results.getJobState('a-different-job-id')) === 'completed' ? true : undefined));
    await results.close();
    expect(events.filter((e) => e.requestKey === 'order-redeliver-1').map((e) => e.applied)).toEqual([true, false]);
    const counts = await store.db
      .selectFrom('enrollment_results')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('request_key', '=', 'order-redeliver-1')
      .executeTakeFirstOrThrow();
    expect(Number(counts.n)).toBe(1);
    expect((await repo.get('acme', 'order-redeliver-1'))?.status).toBe('issued');
  });

  it('uses job ids without colons even for SCEP-style request keys', async () => {
    const id = jobIdFor('scep', 'CN=device:ABC|tx:42');
    expect(id).not.toContain(':');
    const q = new Queue(QUEUE_ENROLL, { connection: redis.client, prefix: redis.prefix });
    expect(await q.getJob(id)).toBeUndefined();
    await q.close();
  });
});
