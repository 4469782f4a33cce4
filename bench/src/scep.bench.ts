/**
 * SCEP PKIOperation throughput: PKCSReq enrollments per second with 1, 4 and 16 concurrent lean
 * clients against scep-api (→ Redis queue → wcce-worker → MS-ICPR → adcs-sim, real processes from
 * dist) and against micromdm's scepserver (Debian `scep`) in the same run. scepserver listens on
 * all interfaces, so it runs, with its client loop, inside a private network namespace
 * (`unshare -n`, only `lo`). RSA-2048 everywhere; client keys, CSRs and pkiMessages are made
 * before the timed part (AES-128-CBC, PKCS#1 v1.5 key transport, SHA-256); every certificate is
 * decrypted and verified against its CA after it.
 *
 *   node bench/dist/scep.bench.js [--smoke] [--no-peer]      (build first; npm run bench does)
 *
 * DATABASE_URL=postgres://… runs scep-api on PostgreSQL (a fresh schema per run) instead of a
 * temporary SQLite file; BENCH_CPU_PROF=DIR writes V8 CPU profiles of scep-api and wcce-worker.
 * The redis_cmds column is Redis commands per enrollment, those inside Lua scripts included (INFO
 * commandstats, all clients: run it alone, as every benchmark). BENCH_NODE_FLAGS adds node flags
 * to both (e.g. --perf-basic-prof); BENCH_SCEP_WARMUP sets the enrollments before each row (4), BENCH_SCEP_STEADY_WARMUP those before the first (200).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate, createPublicKey, generateKeyPairSync, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { buildCsr, parseCertificate, readPkcs7Certificates, scep, type CertificateInfo } from '@enrollgate/pki';
import { migrateToLatest, openDatabase } from '@enrollgate/store';
import { SMOKE, freePort, percentile, printTable, processCpuSeconds, writeResults, type BenchRow } from './harness.js';
import { CA_NAME, PASSWORD, ROOT, USER, startSim, stopSim } from './sim.js';

// 1 and 4: the clients the anchor was measured with (scepserver 26 and 50/s); 16: load
const CONCURRENCY = [1, 4, 16];
const COUNT: Record<number, number> = SMOKE ? { 1: 3, 4: 4, 16: 16 } : { 1: 150, 4: 300, 16: 480 };
const CHALLENGE = 's3cret';
const PEER = !process.argv.includes('--no-peer');
/** Enrollments before each timed row (BENCH_SCEP_WARMUP; default 4). */
const WARMUP = Number(process.env.BENCH_SCEP_WARMUP ?? 4);
/**
 * Enrollments from 4 clients before the first row, for both servers (BENCH_SCEP_STEADY_WARMUP;
 * default 200, none with --smoke): after a handful, scep-api's JIT is still compiling, which the
 * single-client row then pays for.
 */
const STEADY_WARMUP = Number(process.env.BENCH_SCEP_STEADY_WARMUP ?? (SMOKE ? 0 : 200));

/** Redis commands executed so far (all clients), from INFO commandstats. */
async function redisCommands(redis: Redis): Promise<number> {
  let n = 0;
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) n += Number(m[1]);
  return n;
}

interface Prepared {
  der: Uint8Array;
  client: { certificate: Uint8Array; key: KeyObject };
}

interface RowResult {
  ok: number;
  failed: number;
  seconds: number;
  latencies: number[];
  bodies: { body: Uint8Array; client: Prepared['client'] }[];
}

async function waitFor(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready: ${url}`);
}

async function getCaCert(url: string): Promise<{ encryption: CertificateInfo; all: CertificateInfo[] }> {
  const r = await fetch(`${url}?operation=GetCACert&message=default`);
  const body = new Uint8Array(await r.arrayBuffer());
  const all = r.headers.get('content-type') === 'application/x-x509-ca-cert' ? [parseCertificate(body)] : readPkcs7Certificates(body);
  return { all, encryption: all.find((c) => c.keyUsages?.includes('keyEncipherment') && !c.isCa) ?? all[0]! };
}

/** 16 client keys (one per concurrent client), then one CSR + pkiMessage per enrollment, all before timing. */
async function prepare(recipient: CertificateInfo, count: number, tag: string): Promise<Prepared[]> {
  const clients = Array.from({ length: 16 }, () => {
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    return { key, certificate: scep.createSignerCertificate({ privateKey: key, hash: 'sha256' }) };
  });
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const keyPairs = await Promise.all(
    clients.map(async (c) => ({
      privateKey: await webcrypto.subtle.importKey('pkcs8', c.key.export({ format: 'der', type: 'pkcs8' }), alg, true, ['sign']),
      publicKey: await webcrypto.subtle.importKey('spki', createPublicKey(c.key).export({ format: 'der', type: 'spki' }), alg, true, ['verify']),
    })),
  );
  const out: Prepared[] = [];
  for (let i = 0; i < count; i++) {
    const n = i % clients.length;
    const csr = await buildCsr({
      subject: `CN=${tag}-${i}`,
      keys: keyPairs[n]!,
      challengePassword: CHALLENGE,
      keyUsages: ['digitalSignature', 'keyEncipherment'],
    });
    const der = scep.buildPkiRequest({
      messageType: scep.MessageType.PKCSReq,
      transactionId: `${tag}-${process.pid}-${i}`,
      content: csr.der,
      recipient: recipient.der,
      cipher: 'aes-128-cbc',
      keyTransport: { kind: 'rsaEncryption' },
      digest: 'sha256',
      signerCertificate: clients[n]!.certificate,
      signerKey: clients[n]!.key,
    });
    out.push({ der, client: clients[n]! });
  }
  return out;
}

async function runRow(url: string, prepared: Prepared[], concurrency: number): Promise<RowResult> {
  const latencies: number[] = [];
  const bodies: RowResult['bodies'] = [];
  let failed = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < prepared.length; i = next++) {
        const p = prepared[i]!;
        const t0 = performance.now();
        try {
          const r = await fetch(`${url}?operation=PKIOperation`, { method: 'POST', body: p.der, headers: { 'content-type': 'application/x-pki-message' } });
          const body = new Uint8Array(await r.arrayBuffer());
          latencies.push(performance.now() - t0);
          if (r.status === 200) bodies.push({ body, client: p.client });
          else failed++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { ok: bodies.length, failed, seconds: (performance.now() - started) / 1000, latencies, bodies };
}

/** After the timed part: every CertRep verifies, is SUCCESS, and its certificate verifies against the CA. */
function verifyAll(bodies: RowResult['bodies'], caPem: string): { verified: number; problems: string[] } {
  const ca = new X509Certificate(caPem);
  const problems: string[] = [];
  let verified = 0;
  for (const { body, client } of bodies) {
    try {
      const rep = scep.readCertRep(body, client, { allowSingleDes: true });
      if (rep.status !== 'SUCCESS') throw new Error(`status ${rep.status} ${rep.failInfoText ?? ''}`);
      const cert = new X509Certificate(Buffer.from(rep.certificates[0]!));
      if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new Error('certificate does not verify against the CA');
      verified++;
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return { verified, problems: [...new Set(problems)].slice(0, 5) };
}

function row(
  server: string,
  concurrency: number,
  r: RowResult,
  v: { verified: number; problems: string[] },
  cpuSeconds: number,
  parts: Record<string, number> = {},
): BenchRow {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  return {
    server,
    clients: concurrency,
    ok: r.ok,
    failed: r.failed,
    verified: v.verified,
    seconds: r.seconds,
    per_s: r.ok / r.seconds,
    p50_ms: percentile(sorted, 50),
    p95_ms: percentile(sorted, 95),
    server_cpu_ms_per_enroll: r.ok ? (cpuSeconds * 1000) / r.ok : NaN,
    ...Object.fromEntries(Object.entries(parts).map(([name, s]) => [`${name}_cpu_ms`, r.ok ? (s * 1000) / r.ok : NaN])),
    ...(v.problems.length ? { problems: v.problems.join('; ') } : {}),
  };
}

// ---- enrollgate ----

async function benchEnrollgate(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'eg-scep-bench-'));
  const sim = await startSim('rsa2048');
  const children: ChildProcess[] = [];
  const baseDb = process.env.DATABASE_URL || `sqlite://${join(dir, 'eg.db')}`;
  const pgSchema = /^postgres/.test(baseDb) ? `bench_scep_${randomBytes(3).toString('hex')}` : undefined;
  const dbUrl = pgSchema ? `${baseDb}${baseDb.includes('?') ? '&' : '?'}schema=${pgSchema}` : baseDb;
  try {
    const [workerPort, scepPort] = [await freePort(), await freePort()];
    const db = openDatabase(dbUrl);
    await migrateToLatest(db);
    await db.close();
    const common = {
      PATH: process.env.PATH ?? '',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: `egscepbench${scepPort}`,
      LOG_LEVEL: 'warn',
    };
    // BENCH_CPU_PROF=DIR: V8 CPU profiles of scep-api and wcce-worker (written on exit) for `node --cpu-prof`
    const profDir = process.env.BENCH_CPU_PROF;
    const start = (app: string, env: Record<string, string>) => {
      const flags = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', `${app}.cpuprofile`] : [];
      // BENCH_NODE_FLAGS: extra node flags for both (e.g. --perf-basic-prof for `perf record`)
      flags.push(...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []));
      const c = spawn(process.execPath, [...flags, join(ROOT, 'apps', app, 'dist', 'main.js')], {
        env: { ...common, ...env },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(c);
      return c;
    };
    const worker = start('wcce-worker', {
      WORKER_LISTEN: `127.0.0.1:${workerPort}`,
      WORKER_CONCURRENCY: '16',
      WCCE_HOST: `127.0.0.1:${sim.port}`,
      WCCE_CA_NAME: CA_NAME,
      WCCE_TARGET_DOMAIN: 'TEST',
      WCCE_USER: USER,
      WCCE_PASSWORD: PASSWORD,
      WCCE_CA_BUNDLE: join(sim.stateDir, 'ca.pem'),
      WCCE_MAX_CONNECTIONS_PER_HOST: '16',
    });
    const api = start('scep-api', {
      SCEP_LISTEN: `127.0.0.1:${scepPort}`,
      DATABASE_URL: dbUrl,
      SCEP_RA_DIR: join(dir, 'ra'),
      SCEP_CHALLENGE_PASSWORD: CHALLENGE,
      SCEP_WAIT_SECONDS: '30',
    });
    const base = `http://127.0.0.1:${scepPort}`;
    await waitFor(`${base}/api/scep/ca-thumbprint`);
    const url = `${base}/certsrv/mscep/mscep.dll/pkiclient.exe`;
    const ca = await getCaCert(url);
    const caPem = readFileSync(join(sim.stateDir, 'ca.pem'), 'utf8');
    const rows: BenchRow[] = [];
    const redis = new Redis(common.REDIS_URL);
    // Steady state before any row (see STEADY_WARMUP): the JIT compiles the hot paths first.
    if (STEADY_WARMUP > 0) await runRow(url, await prepare(ca.encryption, STEADY_WARMUP, 'steady'), 4);
    for (const concurrency of CONCURRENCY) {
      const warm = await prepare(ca.encryption, WARMUP, `warm${concurrency}`);
      await runRow(url, warm, Math.min(concurrency, 4));
      const prepared = await prepare(ca.encryption, COUNT[concurrency]!, `eg${concurrency}`);
      const cpu = () => ({ api: processCpuSeconds(api.pid!), worker: processCpuSeconds(worker.pid!), sim: processCpuSeconds(sim.pid) });
      const cmd0 = await redisCommands(redis);
      const cpu0 = cpu();
      const r = await runRow(url, prepared, concurrency);
      const cpu1 = cpu();
      const cmds = (await redisCommands(redis)) - cmd0 - 1;
      const parts = { api: cpu1.api - cpu0.api, worker: cpu1.worker - cpu0.worker, sim: cpu1.sim - cpu0.sim };
      const total = parts.api + parts.worker + parts.sim;
      rows.push({ ...row('enrollgate scep-api (queue+worker+sim)', concurrency, r, verifyAll(r.bodies, caPem), total, parts), redis_cmds: cmds / r.ok });
    }
    redis.disconnect();
    return rows;
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await stopSim(sim);
    if (pgSchema) {
      const db = openDatabase(baseDb);
      await sql`drop schema if exists ${sql.id(pgSchema)} cascade`.execute(db.db);
      await db.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- micromdm scepserver, inside a private network namespace ----

async function micromdmChild(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'micromdm-bench-'));
  spawnSync('ip', ['link', 'set', 'lo', 'up']);
  const init = spawnSync('scepserver', ['ca', '-init', '-depot', join(dir, 'depot'), '-organization', 'BenchPeer', '-years', '1', '-keySize', '2048'], {
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`scepserver ca -init failed: ${init.stderr}`);
  const port = await freePort();
  const server = spawn('scepserver', ['-depot', join(dir, 'depot'), '-port', String(port), '-challenge', CHALLENGE], { stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    const url = `http://127.0.0.1:${port}/scep`;
    await waitFor(`${url}?operation=GetCACaps`);
    const ca = await getCaCert(url);
    const caPem = readFileSync(join(dir, 'depot', 'ca.pem'), 'utf8');
    const rows: BenchRow[] = [];
    if (STEADY_WARMUP > 0) await runRow(url, await prepare(ca.encryption, STEADY_WARMUP, 'steady'), 4);
    for (const concurrency of CONCURRENCY) {
      await runRow(url, await prepare(ca.encryption, 4, `warm${concurrency}`), Math.min(concurrency, 4));
      const prepared = await prepare(ca.encryption, COUNT[concurrency]!, `mm${concurrency}`);
      const cpu0 = processCpuSeconds(server.pid!);
      const r = await runRow(url, prepared, concurrency);
      const cpu = processCpuSeconds(server.pid!) - cpu0;
      rows.push(row('micromdm scepserver 2.1 (netns)', concurrency, r, verifyAll(r.bodies, caPem), cpu));
    }
    process.stdout.write(`BENCH_ROWS ${JSON.stringify(rows)}\n`);
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

function benchMicromdm(): BenchRow[] {
  if (spawnSync('which', ['scepserver']).status !== 0) {
    process.stderr.write('scepserver not installed (apt-get install scep): micromdm rows skipped\n');
    return [];
  }
  const self = process.argv[1]!;
  const args = ['-n', process.execPath, self, '--micromdm-child', ...(SMOKE ? ['--smoke'] : [])];
  const r = spawnSync('unshare', args, { encoding: 'utf8', env: { ...process.env }, timeout: 600_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('BENCH_ROWS '));
  if (!line) {
    process.stderr.write(`micromdm run failed (unshare -n needs root): ${r.stderr.slice(-2000)}\n`);
    return [];
  }
  return JSON.parse(line.slice('BENCH_ROWS '.length)) as BenchRow[];
}

async function main(): Promise<void> {
  if (process.argv.includes('--micromdm-child')) return micromdmChild();
  if (!existsSync(join(ROOT, 'apps', 'scep-api', 'dist', 'main.js'))) throw new Error('build first: npx nx run-many -t build');
  const rows = [...(await benchEnrollgate()), ...(PEER ? benchMicromdm() : [])];
  printTable('SCEP PKIOperation (PKCSReq) enrollments per second, RSA-2048, pre-made keys and messages', rows);
  const bad = rows.filter((r) => r.verified !== r.ok || (r.failed as number) > 0);
  const file = writeResults('scep', { rows, counts: COUNT });
  process.stdout.write(`\nresults: ${file}\n`);
  for (const r of bad) process.stderr.write(`${String(r.server)}: some enrollments failed or did not verify: ${JSON.stringify(r)}\n`);
  // Only our own failures fail the run; the reference server's are reported (micromdm answers
  // some concurrent requests with FAILURE, as the anchor runs saw too).
  if (bad.some((r) => String(r.server).startsWith('enrollgate'))) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
