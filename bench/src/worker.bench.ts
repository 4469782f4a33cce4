/**
 * Enrollments per second through the real path a front-end uses: EnrollmentProducer (SQLite row
 * + BullMQ `enroll` job) → wcce-worker's processor (IcprCaClient over pooled MS-ICPR) → adcs-sim
 * → results queue → ResultsConsumer (SQLite). Closed loop: `concurrency` clients each submit
 * one request and wait for its persisted result before the next, with worker concurrency the
 * same; queue-hop latency is enqueue → processing start (BullMQ's job.timestamp →
 * job.processedOn), end-to-end latency is submit → result persisted. CSRs are made before the
 * timed part; every issued certificate is verified against the simulator's CA after it.
 *
 *   node bench/dist/worker.bench.js [--smoke]      (build first; npm run bench does)
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { QUEUE_ENROLL, type EnrollJob } from '@enrollgate/contracts';
import { EnrollmentProducer, ResultsConsumer } from '@enrollgate/enrollment';
import { Metrics, createLogger, createRedis } from '@enrollgate/platform';
import { EnrollmentRepository, migrateToLatest, openDatabase } from '@enrollgate/store';
import { NtlmProvider } from '@enrollgate/wcce';
import { Queue } from 'bullmq';
import { IcprCaClient } from '../../apps/wcce-worker/dist/ca/icpr-ca-client.js';
import { EnrollProcessor } from '../../apps/wcce-worker/dist/enroll/enroll.processor.js';
import { EnrollWorker, QueueResultPublisher } from '../../apps/wcce-worker/dist/enroll/enroll.worker.js';
import { SMOKE, percentile, printTable, processCpuSeconds, selfCpuSeconds, writeResults, type BenchRow } from './harness.js';
import { CA_NAME, PASSWORD, USER, makeCsrs, startSim, stopSim } from './sim.js';

const COUNTS: Record<number, number> = SMOKE ? { 1: 4, 8: 8, 32: 32 } : { 1: 400, 8: 1200, 32: 1600 };
const silent = createLogger({ app: 'bench', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const sim = await startSim('p256');
  const dir = await mkdtemp(join(tmpdir(), 'eg-worker-bench-'));
  const rows: BenchRow[] = [];
  try {
    const caPem = await readFile(join(sim.stateDir, 'ca.pem'), 'utf8');
    const caCert = new X509Certificate(caPem);
    for (const concurrency of [1, 8, 32]) {
      const n = COUNTS[concurrency] as number;
      const csrs = await makeCsrs(n, `w${concurrency}-`);
      const prefix = `egbench${concurrency}${Date.now()}`;
      const redis = createRedis(redisUrl);
      const store = openDatabase(`sqlite://${join(dir, `bench-${concurrency}.db`)}`);
      await migrateToLatest(store);
      const repo = new EnrollmentRepository(store);
      const producer = new EnrollmentProducer(repo, { connection: redis, prefix });
      const waiting = new Map<string, () => void>();
      const consumer = new ResultsConsumer(repo, {
        protocol: 'acme',
        connection: redis,
        prefix,
        concurrency: 32,
        onResult: (r, applied) => {
          if (applied) waiting.get(r.requestKey)?.();
        },
      });
      const metrics = new Metrics('bench');
      const ca = new IcprCaClient({
        name: 'default',
        targets: [{ host: '127.0.0.1', port: sim.port, caName: CA_NAME }],
        pool: {
          provider: new NtlmProvider({ kind: 'ntlm', domain: 'TEST', user: USER, password: PASSWORD }),
          maxConnectionsPerTarget: concurrency,
          timeoutMs: 30_000,
          callDeadlineMs: 60_000,
        },
        logger: silent,
        metrics,
      });
      const publisher = new QueueResultPublisher(redis, prefix);
      const processor = new EnrollProcessor(ca, publisher, silent, metrics);
      const worker = new EnrollWorker(processor, { connection: redis, prefix, concurrency, logger: silent });
      const cpu0 = selfCpuSeconds();
      const sim0 = processCpuSeconds(sim.pid);
      const started = performance.now();
      const latencies: number[] = [];
      let next = 0;
      const client = async () => {
        for (let i = next++; i < n; i = next++) {
          const job: EnrollJob = {
            requestKey: `bench-${concurrency}-${i}`,
            protocol: 'acme',
            csr: (csrs[i] as Buffer).toString('base64'),
            template: 'WebServer',
            requester: { protocol: 'acme', subject: 'bench' },
            submittedAt: new Date().toISOString(),
          };
          const t0 = performance.now();
          const persisted = new Promise<void>((r) => waiting.set(job.requestKey, r));
          await producer.submit(job);
          await persisted;
          waiting.delete(job.requestKey);
          latencies.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, client));
      latencies.sort((a, b) => a - b);
      const seconds = (performance.now() - started) / 1000;
      const cpu = selfCpuSeconds() - cpu0;
      const simCpu = processCpuSeconds(sim.pid) - sim0;
      // Queue hop: enqueue → processing start, from BullMQ's own timestamps.
      const queue = new Queue(QUEUE_ENROLL, { connection: redis, prefix });
      const jobs = await queue.getJobs(['completed'], 0, n);
      const hops = jobs.map((j) => (j.processedOn ?? 0) - j.timestamp).sort((a, b) => a - b);
      await queue.close();
      await worker.close();
      await consumer.close();
      await producer.close();
      await publisher.close();
      await ca.close();
      // Verify every certificate after the timed part.
      const issued = await store.db.selectFrom('enrollments').select(['status', 'certificate']).execute();
      let verified = 0;
      for (const row of issued)
        if (row.status === 'issued' && row.certificate && new X509Certificate(Buffer.from(row.certificate, 'base64')).verify(caCert.publicKey)) verified++;
      await store.close();
      redis.disconnect();
      rows.push({
        concurrency,
        enrollments: n,
        seconds: Number(seconds.toFixed(2)),
        'enroll/s': Number((n / seconds).toFixed(1)),
        'queue hop p50 ms': percentile(hops, 50),
        'queue hop p99 ms': percentile(hops, 99),
        'e2e p50 ms': Number(percentile(latencies, 50).toFixed(1)),
        'e2e p99 ms': Number(percentile(latencies, 99).toFixed(1)),
        'gateway CPU ms/enroll': Number(((cpu * 1000) / n).toFixed(2)),
        'sim CPU ms/enroll': Number(((simCpu * 1000) / n).toFixed(2)),
        verified: `${verified}/${n}`,
      });
    }
  } finally {
    await stopSim(sim);
    await rm(dir, { recursive: true, force: true });
  }
  printTable('Enrollment through queue + worker + adcs-sim (P-256 CA, SQLite, one process for producer/worker/consumer)', rows);
  console.log(`results: ${writeResults('worker', rows)}`);
}

await main();
