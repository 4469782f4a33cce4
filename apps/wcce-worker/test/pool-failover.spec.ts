/**
 * Issue 5's proof: CA pools, failover, retries, pending approvals and the credential breaker,
 * with real Redis, a real database behind the results consumer, and three adcs-sim processes
 * (built, started as child processes) as one pool.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { EnrollJob } from '@enrollgate/contracts';
import { EnrollmentProducer, ResultsConsumer } from '@enrollgate/enrollment';
import { Metrics, createLogger } from '@enrollgate/platform';
import { EnrollmentRepository, migrateToLatest, openDatabase, type Enrollment, type StoreDatabase } from '@enrollgate/store';
import { NtlmProvider, type SecurityProvider } from '@enrollgate/wcce';
import { sqliteTestDatabase, type OpenedTestDatabase } from '../../../test/support/databases.js';
import { openTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { CA_NAME, PASSWORD, REPO_ROOT, USER, admin, makeCsr, opensslCheck, startSim, type SimProcess } from '../../../test/support/adcs-sim.js';
import { CredentialGuard } from '../src/ca/credential-guard.js';
import { IcprCaClient, type IcprCaTarget } from '../src/ca/icpr-ca-client.js';
import { EnrollProcessor } from '../src/enroll/enroll.processor.js';
import { EnrollWorker, QueueResultPublisher } from '../src/enroll/enroll.worker.js';
import { PendingPoller, PendingScheduler } from '../src/pending/pending.scheduler.js';

const silent = new Writable({ write: (_c, _e, cb) => cb() });
const logger = createLogger({ app: 'test', destination: silent });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Counts security contexts the pool asks for: one per authentication attempt (not a double). */
class CountingProvider implements SecurityProvider {
  contexts = 0;
  constructor(private readonly inner: NtlmProvider) {}
  get mechanism() {
    return this.inner.mechanism;
  }
  get rpcAuthType() {
    return this.inner.rpcAuthType;
  }
  get cacheKey() {
    return this.inner.cacheKey;
  }
  createContext(purpose: 'smb' | 'rpc', target: string) {
    this.contexts++;
    return this.inner.createContext(purpose, target);
  }
}

async function simMetric(sim: SimProcess, name: string, labels: string): Promise<number> {
  const text = (await admin(sim, 'GET', '/metrics')).text;
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && line.includes(labels)) sum += Number(line.split(' ').pop());
  return sum;
}

describe('wcce-worker with a pool of three simulators', () => {
  let sims: SimProcess[];
  let dbFile: OpenedTestDatabase;
  let store: StoreDatabase;
  let redis: TestRedis;
  let repo: EnrollmentRepository;
  let producer: EnrollmentProducer;
  let consumer: ResultsConsumer;
  let publisher: QueueResultPublisher;
  let workDir: string;
  let stack:
    | { worker: EnrollWorker; poller: PendingPoller; scheduler: PendingScheduler; client: IcprCaClient; metrics: Metrics; provider: CountingProvider }
    | undefined;

  const targets = (list: SimProcess[]): IcprCaTarget[] => list.map((s) => ({ host: '127.0.0.1', port: s.smbPort, caName: CA_NAME }));

  /** A worker stack over `list`, starting its random choice at `startAt`. */
  function startWorker(list: SimProcess[], options: { startAt?: number; password?: string } = {}) {
    const metrics = new Metrics('test');
    const provider = new CountingProvider(new NtlmProvider({ kind: 'ntlm', domain: 'TEST', user: USER, password: options.password ?? PASSWORD }));
    const client = new IcprCaClient({
      name: 'default',
      targets: targets(list),
      pool: { provider, connectTimeoutMs: 2000, timeoutMs: 2000, callDeadlineMs: 3000, maxConnectionsPerTarget: 4 },
      breaker: { failureThreshold: 3, openMs: 60000 },
      credential: new CredentialGuard(redis.client, redis.prefix, provider.cacheKey, `TEST\\${USER}`, logger, metrics),
      logger,
      metrics,
      random: () => (options.startAt ?? 0) / list.length,
    });
    const pendingOptions = {
      connection: redis.client,
      prefix: redis.prefix,
      initialIntervalMs: 200,
      maxIntervalMs: 500,
      maxAgeMs: 60000,
      gaugeIntervalMs: 100,
    };
    const scheduler = new PendingScheduler(pendingOptions);
    const poller = new PendingPoller(client, scheduler, publisher, logger, metrics, pendingOptions);
    const processor = new EnrollProcessor(client, publisher, logger, metrics, { pending: scheduler, credentialRetryMs: 60000 });
    const worker = new EnrollWorker(processor, { connection: redis.client, prefix: redis.prefix, concurrency: 4, logger });
    stack = { worker, poller, scheduler, client, metrics, provider };
    return stack;
  }

  async function stopWorker(): Promise<void> {
    if (!stack) return;
    await stack.worker.close();
    await stack.poller.close();
    await stack.scheduler.close();
    await stack.client.close();
    stack = undefined;
  }

  beforeAll(async () => {
    sims = await Promise.all([startSim(), startSim(), startSim()]);
    workDir = await mkdtemp(join(tmpdir(), 'eg-pool-'));
    dbFile = await sqliteTestDatabase.open();
    store = openDatabase(dbFile.url);
    await migrateToLatest(store);
    redis = await openTestRedis();
    repo = new EnrollmentRepository(store);
    producer = new EnrollmentProducer(repo, { connection: redis.client, prefix: redis.prefix, attempts: 3, backoffMs: 100 });
    consumer = new ResultsConsumer(repo, { protocol: 'acme', connection: redis.client, prefix: redis.prefix, logger });
    publisher = new QueueResultPublisher(redis.client, redis.prefix);
  }, 60000);

  afterEach(async () => {
    await stopWorker();
    for (const sim of sims) if (sim.child.exitCode === null) await admin(sim, 'PUT', '/faults', { faults: [], failFirst: 0 });
  });

  afterAll(async () => {
    await stopWorker();
    await consumer?.close();
    await producer?.close();
    await publisher?.close();
    await redis?.cleanup();
    await store?.close();
    await dbFile?.cleanup();
    await Promise.all((sims ?? []).map((s) => s.stop()));
    await rm(workDir, { recursive: true, force: true });
  });

  let seq = 0;
  async function submit(template = 'WebServer', dns?: string): Promise<string> {
    const key = `pool-${++seq}`;
    const name = dns ?? `host${seq}.example.test`;
    const csr = await makeCsr(name, [name]);
    const job: EnrollJob = {
      requestKey: key,
      protocol: 'acme',
      csr: csr.der.toString('base64'),
      template,
      requester: { protocol: 'acme', subject: 'acct-7' },
      submittedAt: new Date().toISOString(),
    };
    await producer.submit(job);
    return key;
  }
  const settled = (key: string, statuses = ['issued', 'denied', 'failed']) =>
    until<Enrollment>(`${key} to settle`, async () => {
      const e = await repo.get('acme', key);
      return e && statuses.includes(e.status) ? e : undefined;
    });
  async function issuedBySomeSim(e: Enrollment): Promise<boolean> {
    for (const sim of sims) if ((await opensslCheck(sim.caPem, Buffer.from(e.certificate as string, 'base64'), workDir)).verified) return true;
    return false;
  }
  async function resultRows(key: string): Promise<number> {
    const row = await store.db
      .selectFrom('enrollment_results')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('request_key', '=', key)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  it('fails over from a hanging CA (timeout) and issues from another', async () => {
    await admin(sims[0]!, 'PUT', '/faults', { faults: ['hang'] });
    const { metrics } = startWorker(sims, { startAt: 0 });
    const key = await submit();
    const e = await settled(key);
    expect(e.status).toBe('issued');
    expect(await issuedBySomeSim(e)).toBe(true);
    expect(e.ca?.host).toBe('127.0.0.1');
    expect(await simMetric(sims[0]!, 'enrollgate_adcs_sim_faults_injected_total', 'fault="hang"')).toBeGreaterThan(0);
    expect((await metrics.render()).body).toMatch(/enrollgate_ca_calls_total\{[^}]*result="CA_UNREACHABLE"[^}]*\} 1/);
  });

  it('retries and fails over past --fail-first and a dropped connection, persisting exactly one result', async () => {
    await admin(sims[0]!, 'PUT', '/faults', { faults: [], failFirst: 2 });
    await admin(sims[1]!, 'PUT', '/faults', { faults: ['drop'] });
    const { metrics } = startWorker(sims, { startAt: 0 });
    const keys = [await submit(), await submit()];
    for (const key of keys) {
      const e = await settled(key);
      expect(e.status).toBe('issued');
      expect(await issuedBySomeSim(e)).toBe(true);
      expect(await resultRows(key)).toBe(1);
    }
    const text = (await metrics.render()).body;
    // The dropped connection happened after the request was sent: counted for audit.
    expect(text).toMatch(/enrollgate_ca_possible_duplicate_total\{[^}]*\} [1-9]/);
  });

  it('takes a ManagerApproval request to pending, then issued after approval through retrieve', async () => {
    startWorker([sims[2]!]);
    const key = await submit('ManagerApproval');
    const pending = await settled(key, ['pending']);
    expect(pending.ca?.caRequestId).toBeGreaterThan(0);
    await until('the pending gauge', async () =>
      (await stack!.metrics.render()).body.match(/^enrollgate_worker_pending_requests\{[^}]*\} 1$/m) ? true : undefined,
    );
    const approved = await admin(sims[2]!, 'POST', `/requests/${pending.ca!.caRequestId}/approve`);
    expect(approved.status).toBe(200);
    const e = await settled(key);
    expect(e.status).toBe('issued');
    expect((await opensslCheck(sims[2]!.caPem, Buffer.from(e.certificate as string, 'base64'), workDir)).verified).toBe(true);
  });

  it('ends a denied request after one attempt with the HRESULT', async () => {
    startWorker([sims[2]!]);
    const before = await simMetric(sims[2]!, 'enrollgate_adcs_sim_icpr_calls_total', '');
    const key = await submit('NoSuchTemplate');
    const e = await settled(key);
    expect(e.status).toBe('denied');
    expect(e.error?.status).toBe('0x80094800');
    expect((await simMetric(sims[2]!, 'enrollgate_adcs_sim_icpr_calls_total', '')) - before).toBe(1);
  });

  it('opens the credential breaker on a wrong password: no further attempts with it', async () => {
    const { provider, metrics } = startWorker(sims, { password: 'wrong-password' });
    const first = await submit();
    await until('the credential to be blocked', async () =>
      (await metrics.render()).body.match(/enrollgate_worker_credential_blocked\{[^}]*\} 1/) ? true : undefined,
    );
    const attemptsAfterFirst = provider.contexts;
    const second = await submit();
    await new Promise((r) => setTimeout(r, 1500));
    expect(provider.contexts).toBe(attemptsAfterFirst);
    expect(attemptsAfterFirst).toBeLessThanOrEqual(2); // SMB session setup (SPNEGO) only: no retry, no other CA
    for (const key of [first, second]) expect((await repo.get('acme', key))?.status).toBe('queued');
  });

  it('keeps issuing while one simulator is stopped', async () => {
    await sims[1]!.stop();
    startWorker(sims, { startAt: 1 });
    const keys = await Promise.all([submit(), submit(), submit()]);
    for (const key of keys) {
      const e = await settled(key);
      expect(e.status).toBe('issued');
      expect(await issuedBySomeSim(e)).toBe(true);
    }
  });

  it('completes the job on another worker after kill -9 mid-call, with exactly one result persisted', async () => {
    const live = sims.filter((s) => s.child.exitCode === null);
    const env = {
      PATH: process.env.PATH ?? '',
      REDIS_URL: redis.url,
      QUEUE_PREFIX: redis.prefix,
      WORKER_LISTEN: '127.0.0.1:0',
      WORKER_LOCK_SECONDS: '3',
      WCCE_HOST: live.map((s) => `127.0.0.1:${s.smbPort}`).join(','),
      WCCE_CA_NAME: CA_NAME,
      WCCE_TARGET_DOMAIN: 'TEST',
      WCCE_USER: USER,
      WCCE_PASSWORD: PASSWORD,
      LOG_LEVEL: 'warn',
    };
    const main = join(REPO_ROOT, 'apps/wcce-worker/dist/main.js');
    const first = spawn(process.execPath, [main], { env, stdio: 'ignore' });
    const callsBefore = (await Promise.all(live.map((s) => simMetric(s, 'enrollgate_adcs_sim_icpr_calls_total', '')))).reduce((a, b) => a + b, 0);
    // A 4 s delay at the CA keeps the call in flight while the worker is killed.
    const key = await submit('WebServer', 'delay-4s.sim');
    await until('the CA call to start', async () => {
      const now = (await Promise.all(live.map((s) => simMetric(s, 'enrollgate_adcs_sim_icpr_calls_total', '')))).reduce((a, b) => a + b, 0);
      return now > callsBefore ? true : undefined;
    });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const second = spawn(process.execPath, [main], { env, stdio: 'ignore' });
    try {
      const e = await settled(key, ['issued', 'denied', 'failed']);
      expect(e.status).toBe('issued');
      expect(await resultRows(key)).toBe(1);
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
  }, 90000);
});
