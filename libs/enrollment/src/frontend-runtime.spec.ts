import { Writable } from 'node:stream';
import { JOB_RESULT, RESULTS_QUEUE, type EnrollResult } from '@enrollgate/contracts';
import { HealthRegistry, createLogger } from '@enrollgate/platform';
import { migrateToLatest, openDatabase } from '@enrollgate/store';
import { Queue } from 'bullmq';
import { sqliteTestDatabase, type OpenedTestDatabase } from '../../../test/support/databases.js';
import { openTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { FrontendRuntime } from './frontend-runtime.js';

describe(FrontendRuntime.name, () => {
  let db: OpenedTestDatabase;
  let redis: TestRedis;
  let sut: FrontendRuntime;
  const health = new HealthRegistry();

  beforeAll(async () => {
    db = await sqliteTestDatabase.open();
    const handle = openDatabase(db.url);
    await migrateToLatest(handle);
    await handle.close();
    redis = await openTestRedis();
    sut = await FrontendRuntime.start({
      protocol: 'scep',
      redisUrl: redis.url,
      databaseUrl: db.url,
      queuePrefix: redis.prefix,
      logger: createLogger({ app: 't', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      health,
    });
  });
  afterAll(async () => {
    await sut?.close();
    await redis?.cleanup();
    await db?.cleanup();
  });

  const job = (requestKey: string) => ({
    requestKey,
    protocol: 'scep' as const,
    csr: Buffer.from('3000', 'hex').toString('base64'),
    template: 'IPSECIntermediateOffline',
    requester: { protocol: 'scep' as const, subject: 'CN=dev1' },
    submittedAt: new Date().toISOString(),
  });

  it('registers Redis and the database with readiness', async () => {
    const report = await health.readiness();
    expect(report.ok).toBe(true);
    expect(Object.keys(report.checks).sort()).toEqual(['database', 'redis']);
  });

  it('returns the queued state when no result arrives within the wait', async () => {
    await sut.producer.submit(job('tx-wait-1'));
    const started = Date.now();
    const e = await sut.waitForResult('tx-wait-1', 300);
    expect(e?.status).toBe('queued');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('wakes as soon as the results consumer persists a result', async () => {
    await sut.producer.submit(job('tx-wait-2'));
    const waiting = sut.waitForResult('tx-wait-2', 10000, 5000);
    const results = new Queue<EnrollResult>(RESULTS_QUEUE.scep, { connection: redis.client, prefix: redis.prefix });
    const started = Date.now();
    await results.add(JOB_RESULT, {
      requestKey: 'tx-wait-2',
      protocol: 'scep',
      outcome: 'pending',
      ca: { caRequestId: 5, host: 'ca1', caName: 'CA' },
      attempts: 1,
      completedAt: new Date().toISOString(),
    });
    const e = await waiting;
    await results.close();
    expect(e?.status).toBe('pending');
    expect(Date.now() - started).toBeLessThan(4000);
    expect(FrontendRuntime.isFinal(e!)).toBe(false);
  });

  it('runs start once it listens and begins from the enrollment start returns (no first read)', async () => {
    const enrollments = sut.enrollments;
    const get = enrollments.get.bind(enrollments);
    let reads = 0;
    enrollments.get = (...args) => {
      reads += 1;
      return get(...args);
    };
    try {
      const e = await sut.waitForResult('tx-wait-3', 0, 250, async () => (await sut.producer.submit(job('tx-wait-3'))).enrollment);
      expect(e).toMatchObject({ requestKey: 'tx-wait-3', status: 'queued' });
      expect(reads).toBe(0);
      // start yielding nothing (a failed submission): the wait reads the state itself.
      expect(await sut.waitForResult('tx-wait-3', 0, 250, async () => undefined)).toMatchObject({ status: 'queued' });
      expect(reads).toBe(1);
    } finally {
      enrollments.get = get;
    }
  });

  it('returns undefined for an unknown request', async () => {
    expect(await sut.waitForResult('nope', 50)).toBeUndefined();
  });
});
