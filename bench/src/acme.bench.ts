/**
 * ACME end to end: acme-api → Redis (BullMQ) → wcce-worker → adcs-sim (P-256 CA), all started
 * from the built dist, with a lean in-process ACME client (keep-alive, P-256 account and
 * certificate keys, CSRs made before the timed part, nonces taken from responses) at concurrency
 * 1 and 32, then lego at 1 and 4 parallel processes (webroot http-01 served by this process).
 * Reports issuances/s, latency p50/p99 and CPU seconds per issuance for every process (acme-api,
 * worker, simulator, Redis, PostgreSQL backends, client). Every certificate is verified against
 * the simulator's CA and its names after the timed part.
 *
 *   node bench/dist/acme.bench.js [--smoke] [--no-lego]      (npm run bench -- --smoke acme)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildCsr, generateKeyPair } from '@enrollgate/pki';
import { Redis } from 'ioredis';
import pg from 'pg';
import { SMOKE, freePort, percentile, printTable, processCpuSeconds, selfCpuSeconds, writeResults, type BenchRow } from './harness.js';

const ROOT = resolve(process.cwd());
const ROW_SECONDS = SMOKE ? 0 : 10;
const SMOKE_CERTS = 2;
const LEGO = !process.argv.includes('--no-lego');

// ---------------------------------------------------------------- processes
interface Proc {
  name: string;
  child: ChildProcess;
}
const started: Proc[] = [];

function startNode(dir: string, name: string, args: string[], env: Record<string, string>): Proc {
  const out = createWriteStream(join(dir, `${name}.log`));
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const proc = { name, child };
  started.push(proc);
  return proc;
}

async function stopAll(): Promise<void> {
  for (const p of started.reverse()) {
    if (p.child.exitCode !== null) continue;
    const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
    p.child.kill('SIGTERM');
    const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
}

async function waitReady(name: string, dir: string, url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} not ready at ${url}; see ${join(dir, `${name}.log`)}`);
}

/** A DNS responder answering A 127.0.0.1 for every name (RFC 1035), so any test name validates. */
async function startDns(): Promise<{ address: string; close(): void }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  socket.on('message', (msg, rinfo) => {
    let p = 12;
    while (p < msg.length && msg[p] !== 0) p += (msg[p] as number) + 1;
    const qEnd = p + 5;
    if (qEnd > msg.length) return;
    const qtype = msg.readUInt16BE(p + 1);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | (msg.readUInt16BE(2) & 0x0100), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(qtype === 1 ? 1 : 0, 6);
    const answer = qtype === 1 ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 127, 0, 0, 1]) : Buffer.alloc(0);
    socket.send(Buffer.concat([header, msg.subarray(12, qEnd), answer]), rinfo.port, rinfo.address);
  });
  return { address: `127.0.0.1:${socket.address().port}`, close: () => socket.close() };
}

// ---------------------------------------------------------------- lean ACME client
interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function http(method: string, url: string, body?: string): Promise<Reply> {
  return new Promise((res, rej) => {
    const req = request(
      url,
      { method, agent, headers: body !== undefined ? { 'content-type': 'application/jose+json', 'content-length': Buffer.byteLength(body) } : {} },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', rej);
    req.end(body);
  });
}

/** The leanest correct client: P-256 key, one nonce carried from each response to the next request. */
class LeanClient {
  private nonce: string | undefined;
  kid: string | undefined;
  private readonly key: KeyObject;
  private readonly jwk: Record<string, string>;
  readonly thumbprint: string;

  constructor(
    private readonly dir: Record<string, string>,
    private readonly connect: (url: string) => string,
  ) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = pair.privateKey;
    const j = pair.publicKey.export({ format: 'jwk' }) as Record<string, string>;
    this.jwk = { crv: 'P-256', kty: 'EC', x: j['x'] as string, y: j['y'] as string };
    this.thumbprint = createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${this.jwk['x']}","y":"${this.jwk['y']}"}`).digest('base64url');
  }

  async post(url: string, payload: unknown): Promise<Reply & { json: Record<string, unknown> }> {
    for (let attempt = 0; ; attempt++) {
      if (!this.nonce) this.nonce = (await http('HEAD', this.connect(this.dir['newNonce'] as string))).headers['replay-nonce'] as string;
      const header = { alg: 'ES256', nonce: this.nonce, url, ...(this.kid ? { kid: this.kid } : { jwk: this.jwk }) };
      const p = Buffer.from(JSON.stringify(header)).toString('base64url');
      const b = payload === '' ? '' : Buffer.from(JSON.stringify(payload)).toString('base64url');
      const signature = sign('sha256', Buffer.from(`${p}.${b}`), { key: this.key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      const reply = await http('POST', this.connect(url), JSON.stringify({ protected: p, payload: b, signature }));
      this.nonce = reply.headers['replay-nonce'] as string | undefined;
      const json = reply.headers['content-type']?.toString().includes('json') ? (JSON.parse(reply.body) as Record<string, unknown>) : {};
      if (reply.status >= 400 && json['type'] === 'urn:ietf:params:acme:error:badNonce' && attempt < 3) continue;
      if (reply.status >= 400) throw new Error(`${url}: ${reply.status} ${reply.body}`);
      return { ...reply, json };
    }
  }

  async register(): Promise<void> {
    const r = await this.post(this.dir['newAccount'] as string, { termsOfServiceAgreed: true });
    this.kid = r.headers['location'] as string;
  }

  /** One issuance: order, answer http-01, finalize, poll only when the server is still working, download. */
  async issue(name: string, csr: Buffer, tokens: Map<string, string>): Promise<string> {
    const order = await this.post(this.dir['newOrder'] as string, { identifiers: [{ type: 'dns', value: name }] });
    const orderUrl = order.headers['location'] as string;
    for (const authzUrl of order.json['authorizations'] as string[]) {
      const authz = await this.post(authzUrl, '');
      const challenge = (authz.json['challenges'] as { type: string; url: string; token: string }[]).find((c) => c.type === 'http-01')!;
      tokens.set(challenge.token, `${challenge.token}.${this.thumbprint}`);
      let state = (await this.post(challenge.url, {})).json['status'];
      while (state === 'processing' || state === 'pending') {
        await new Promise((r) => setTimeout(r, 20));
        state = (await this.post(authzUrl, '')).json['status'];
      }
      tokens.delete(challenge.token);
      if (state !== 'valid') throw new Error(`authorization for ${name} is ${String(state)}`);
    }
    let current = await this.post(order.json['finalize'] as string, { csr: csr.toString('base64url') });
    while (current.json['status'] === 'processing') {
      await new Promise((r) => setTimeout(r, 20));
      current = await this.post(orderUrl, '');
    }
    if (current.json['status'] !== 'valid') throw new Error(`order for ${name} is ${String(current.json['status'])}: ${JSON.stringify(current.json['error'])}`);
    return (await this.post(current.json['certificate'] as string, '')).body;
  }
}

// ---------------------------------------------------------------- CPU accounting
interface CpuSources {
  api: number;
  worker: number;
  sim: number;
  redis: number | undefined;
  postgres: boolean;
}

/**
 * CPU seconds of every `postgres` process by pid (backends serve all sessions of the server;
 * on a shared machine this is an upper bound). Deltas only count pids alive at both samples
 * plus the whole of new ones, so a backend of someone else's session that exits does not
 * subtract its lifetime CPU.
 */
function postgresCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') out.set(Number(entry), processCpuSeconds(Number(entry)));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

let pgBaseline = new Map<number, number>();

/** Cumulative postgres CPU since the first sample, over pids seen in consecutive samples. */
let pgCumulative = 0;
function pgDelta(): number {
  const now = postgresCpu();
  for (const [pid, cpu] of now) pgCumulative += cpu - (pgBaseline.get(pid) ?? 0);
  pgBaseline = now;
  return pgCumulative;
}

function sampleCpu(s: CpuSources): Record<string, number> {
  return {
    api: processCpuSeconds(s.api),
    worker: processCpuSeconds(s.worker),
    sim: processCpuSeconds(s.sim),
    redis: s.redis ? processCpuSeconds(s.redis) : NaN,
    postgres: s.postgres ? pgDelta() : NaN,
    client: selfCpuSeconds(),
  };
}

function cpuColumns(before: Record<string, number>, after: Record<string, number>, count: number): BenchRow {
  const ms = (k: string) => (((after[k] as number) - (before[k] as number)) * 1000) / Math.max(1, count);
  return {
    'api ms/cert': ms('api'),
    'worker ms/cert': ms('worker'),
    'api+worker': ms('api') + ms('worker'),
    'sim ms/cert': ms('sim'),
    'redis ms/cert': ms('redis'),
    'pg ms/cert': ms('postgres'),
    'client ms/cert': ms('client'),
  };
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'enrollgate-acme-bench-'));
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const prefix = `bench-acme-${randomBytes(3).toString('hex')}`;
  const baseDb = process.env['DATABASE_URL'] || `sqlite:${join(dir, 'bench.db')}`;
  const isPg = /^postgres/.test(baseDb);
  const schema = `bench_acme_${randomBytes(3).toString('hex')}`;
  const dbUrl = isPg ? `${baseDb}${baseDb.includes('?') ? '&' : '?'}schema=${schema}` : baseDb;
  const redis = new Redis(redisUrl, { lazyConnect: false });
  const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]) || undefined;
  const dns = await startDns();
  const tokens = new Map<string, string>();
  const webroot = join(dir, 'webroot');
  await mkdir(join(webroot, '.well-known', 'acme-challenge'), { recursive: true });
  const responder: Server = createServer((req, res) => {
    const token = (req.url ?? '').split('/').pop() ?? '';
    const inMemory = tokens.get(token);
    if (inMemory) return void res.writeHead(200).end(inMemory);
    readFile(join(webroot, '.well-known', 'acme-challenge', token.replace(/[^A-Za-z0-9_-]/g, '')))
      .then((b) => res.writeHead(200).end(b))
      .catch(() => res.writeHead(404).end());
  });
  const httpPort = await freePort();
  await new Promise<void>((r) => responder.listen(httpPort, '127.0.0.1', r));
  const rows: BenchRow[] = [];
  let pgPool: pg.Pool | undefined;
  try {
    const migrate = spawn(process.execPath, ['libs/store/dist/cli.js', 'migrate', '--url', dbUrl], { cwd: ROOT, stdio: 'inherit' });
    await new Promise<void>((r, j) => migrate.on('exit', (c) => (c === 0 ? r() : j(new Error(`migrate exited ${c}`)))));
    const [smb, admin, workerPort, apiPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const password = randomBytes(12).toString('base64url');
    // BENCH_API_NODE_ARGS / BENCH_WORKER_NODE_ARGS / BENCH_SIM_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"
    // profile acme-api / wcce-worker / adcs-sim.
    const nodeArgs = (name: string) => (process.env[name] ?? '').split(' ').filter(Boolean);
    const sim = startNode(
      dir,
      'adcs-sim',
      [
        ...nodeArgs('BENCH_SIM_NODE_ARGS'),
        'apps/adcs-sim/dist/main.js',
        '--listen',
        `127.0.0.1:${smb}`,
        '--admin-listen',
        `127.0.0.1:${admin}`,
        '--state-dir',
        join(dir, 'sim'),
        '--domain',
        'TEST',
        '--ca-name',
        'enrollgate-sim-CA',
        '--user',
        `bench:${password}`,
        '--ca-key',
        'p256',
        '--log-level',
        'warn',
      ],
      {},
    );
    await waitReady('adcs-sim', dir, `http://127.0.0.1:${admin}/readyz`);
    const common = { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' };
    const worker = startNode(dir, 'wcce-worker', [...nodeArgs('BENCH_WORKER_NODE_ARGS'), 'apps/wcce-worker/dist/main.js'], {
      ...common,
      WORKER_LISTEN: `127.0.0.1:${workerPort}`,
      WORKER_CONCURRENCY: '32',
      WCCE_HOST: `127.0.0.1:${smb}`,
      WCCE_CA_NAME: 'enrollgate-sim-CA',
      WCCE_TARGET_DOMAIN: 'TEST',
      WCCE_USER: 'bench',
      WCCE_PASSWORD: password,
      WCCE_CA_BUNDLE: join(dir, 'sim', 'ca.pem'),
      WCCE_MAX_CONNECTIONS_PER_HOST: '8',
    });
    const api = startNode(dir, 'acme-api', [...nodeArgs('BENCH_API_NODE_ARGS'), 'apps/acme-api/dist/main.js'], {
      ...common,
      DATABASE_URL: dbUrl,
      ACME_LISTEN: `127.0.0.1:${apiPort}`,
      ACME_DNS_SERVERS: dns.address,
      ACME_HTTP01_PORT: String(httpPort),
      ACME_VALIDATION_CONCURRENCY: '32',
    });
    await waitReady('wcce-worker', dir, `http://127.0.0.1:${workerPort}/readyz`);
    await waitReady('acme-api', dir, `http://127.0.0.1:${apiPort}/readyz`);
    const caPemFile = join(dir, 'sim', 'ca.pem');
    const ca = new X509Certificate(await readFile(caPemFile));
    const directoryUrl = `http://127.0.0.1:${apiPort}/directory`;
    const directory = JSON.parse((await http('GET', directoryUrl)).body) as Record<string, string>;
    const cpu: CpuSources = { api: api.child.pid as number, worker: worker.child.pid as number, sim: sim.child.pid as number, redis: redisPid, postgres: isPg };
    if (isPg) pgPool = new pg.Pool({ connectionString: baseDb, max: 1 });

    const issued: { name: string; pem: string }[] = [];
    // Steady state before any row: 200 issuances from 8 clients, so that the servers' JIT has
    // compiled the hot paths (after 20 the single-client row still paid for compilation).
    if (!SMOKE) {
      const warmers = Array.from({ length: 8 }, () => new LeanClient(directory, (u) => u));
      await Promise.all(warmers.map((c) => c.register()));
      let w = 0;
      await Promise.all(
        warmers.map(async (c) => {
          for (let i = w++; i < 200; i = w++) {
            const name = `warm-${i}.bench.test`;
            const csr = Buffer.from((await buildCsr({ subject: '', keys: await generateKeyPair('p256'), sans: [{ type: 'dns', value: name }] })).der);
            await c.issue(name, csr, tokens);
          }
        }),
      );
    }
    for (const concurrency of [1, 32]) {
      const clients = Array.from({ length: concurrency }, () => new LeanClient(directory, (u) => u));
      await Promise.all(clients.map((c) => c.register()));
      // Warm-up: at least one issuance per client and 20 in all (connections, JIT, SMB
      // associations), so the first row does not pay for the servers' start.
      const rounds = SMOKE ? 1 : Math.max(1, Math.ceil(20 / concurrency));
      for (let round = 0; round < rounds; round++) {
        await Promise.all(
          clients.map(async (c, i) => {
            const name = `warm${concurrency}-${round}-${i}.bench.test`;
            const csr = Buffer.from((await buildCsr({ subject: '', keys: await generateKeyPair('p256'), sans: [{ type: 'dns', value: name }] })).der);
            return c.issue(name, csr, tokens);
          }),
        );
      }
      // Enough for ROW_SECONDS at any rate seen here; the row stops at whichever comes first.
      const count = SMOKE ? SMOKE_CERTS * concurrency : Math.min(3000, concurrency * 60 + 600);
      const names = Array.from({ length: count }, (_, i) => `c${concurrency}-${i}.bench.test`);
      const csrs = await Promise.all(
        names.map(async (n) => Buffer.from((await buildCsr({ subject: '', keys: await generateKeyPair('p256'), sans: [{ type: 'dns', value: n }] })).der)),
      );
      const latencies: number[] = [];
      let next = 0;
      const before = sampleCpu(cpu);
      const t0 = performance.now();
      const stopAt = t0 + ROW_SECONDS * 1000;
      await Promise.all(
        clients.map(async (client) => {
          for (let i = next++; i < count && (SMOKE || performance.now() < stopAt); i = next++) {
            const s = performance.now();
            const pem = await client.issue(names[i] as string, csrs[i] as Buffer, tokens);
            latencies.push(performance.now() - s);
            issued.push({ name: names[i] as string, pem });
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      const after = sampleCpu(cpu);
      latencies.sort((a, b) => a - b);
      rows.push({
        client: 'lean in-process',
        concurrency,
        certs: latencies.length,
        'certs/s': latencies.length / seconds,
        'p50 ms': percentile(latencies, 50),
        'p99 ms': percentile(latencies, 99),
        ...cpuColumns(before, after, latencies.length),
      });
    }

    const legoCerts: string[] = [];
    if (LEGO) {
      const legoBin = await new Promise<boolean>((r) =>
        spawn('lego', ['--version'], { stdio: 'ignore' })
          .on('exit', (c) => r(c === 0))
          .on('error', () => r(false)),
      );
      if (!legoBin) process.stdout.write('lego not installed (apt-get install -y lego): lego rows skipped\n');
      await mkdir(join(dir, 'lego'), { recursive: true });
      for (const parallel of legoBin ? [1, 4] : []) {
        const latencies: number[] = [];
        let legoCpu = 0;
        let seq = 0;
        const before = sampleCpu(cpu);
        const t0 = performance.now();
        const stopAt = t0 + ROW_SECONDS * 1000;
        await Promise.all(
          Array.from({ length: parallel }, async () => {
            for (let n = 0; SMOKE ? n < 1 : performance.now() < stopAt; n++) {
              const name = `lego${parallel}-${seq++}.bench.test`;
              const path = join(dir, 'lego', name);
              const s = performance.now();
              // bash `times` reports the children's CPU (lego itself).
              const { code, output } = await new Promise<{ code: number; output: string }>((r) => {
                const child = spawn(
                  'bash',
                  [
                    '-c',
                    'lego "$@" >"$LEGO_LOG" 2>&1; rc=$?; times; exit $rc',
                    'lego',
                    '--server',
                    directoryUrl,
                    '--accept-tos',
                    '-m',
                    'bench@example.org',
                    '--path',
                    path,
                    '--http',
                    '--http.webroot',
                    webroot,
                    '-d',
                    name,
                    'run',
                  ],
                  {
                    env: { ...process.env, LEGO_LOG: `${path}.log` },
                  },
                );
                let out = '';
                child.stdout.on('data', (d: Buffer) => (out += d.toString()));
                child.on('exit', (c) => r({ code: c ?? -1, output: out }));
              });
              if (code !== 0) throw new Error(`lego failed for ${name}; see ${path}.log`);
              latencies.push(performance.now() - s);
              const m = /\n?(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(output.trim());
              if (m) legoCpu += Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
              legoCerts.push(join(path, 'certificates', `${name}.crt`));
            }
          }),
        );
        const seconds = (performance.now() - t0) / 1000;
        const after = sampleCpu(cpu);
        after['client'] = (before['client'] as number) + legoCpu;
        latencies.sort((a, b) => a - b);
        rows.push({
          client: 'lego (process per cert)',
          concurrency: parallel,
          certs: latencies.length,
          'certs/s': latencies.length / seconds,
          'p50 ms': percentile(latencies, 50),
          'p99 ms': percentile(latencies, 99),
          ...cpuColumns(before, after, latencies.length),
        });
      }
    }

    // Verification, after the timed part: signature by the simulator's CA and exactly the ordered name.
    let bad = 0;
    for (const { name, pem } of issued) {
      const leaf = new X509Certificate(pem);
      if (!leaf.verify(ca.publicKey) || leaf.subjectAltName !== `DNS:${name}`) bad++;
    }
    for (const file of legoCerts) {
      const leaf = new X509Certificate(await readFile(file));
      if (!leaf.verify(ca.publicKey)) bad++;
    }
    printTable(`ACME issuance end to end (acme-api + wcce-worker + adcs-sim P-256 CA, ${isPg ? 'PostgreSQL' : 'SQLite'}, Redis)`, rows);
    process.stdout.write(`verified ${issued.length + legoCerts.length} certificates against the simulator CA: ${bad === 0 ? 'all OK' : `${bad} FAILED`}\n`);
    const file = writeResults(isPg ? 'acme' : 'acme-sqlite', {
      database: isPg ? 'postgres' : 'sqlite',
      rows,
      verified: issued.length + legoCerts.length,
      failedVerification: bad,
    });
    process.stdout.write(`results: ${file}\n`);
    if (bad > 0) process.exitCode = 1;
  } finally {
    await stopAll();
    responder.close();
    dns.close();
    agent.destroy();
    let cursor = '0';
    do {
      const [n, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = n;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    if (pgPool) {
      await pgPool.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await pgPool.end();
    }
    if (!process.env['KEEP_BENCH_DIR']) await rm(dir, { recursive: true, force: true });
  }
}

main().catch(async (e: unknown) => {
  process.stderr.write(`acme bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  await stopAll();
  process.exit(1);
});
