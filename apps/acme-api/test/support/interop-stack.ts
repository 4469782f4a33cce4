/**
 * The real chain for interop specs, as separate processes from the built dist (scripts/quickstart.sh
 * does the same): adcs-sim, wcce-worker(s), acme-api replica(s), sharing one Redis prefix and one
 * database, plus pebble-challtestsrv as the DNS server (every name → 127.0.0.1, TXT by API).
 * Only the processes started here are stopped, by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { migrateToLatest, openDatabase } from '@enrollgate/store';
import type { TestDatabase, OpenedTestDatabase } from '../../../../test/support/databases.js';
import { openTestRedis, type TestRedis } from '../../../../test/support/redis.js';
import { freePort } from '../../../../test/support/ports.js';

/** Specs run from the repository root (jest's rootDir). */
export const ROOT = resolve(process.cwd());
export { freePort };
export const EAB_KID = 'kid-1';
/** Unpadded base64url, as cert-manager stores it. */
export const EAB_HMAC = randomBytes(32).toString('base64url');

export interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
}

export interface AcmeReplica {
  port: number;
  directoryUrl: string;
  proc: Proc;
}

/** The simulated AD CS: where it listens and the account enrollments use (for configs written at test time). */
export interface SimEndpoint {
  /** 127.0.0.1:<port> of its SMB listener (WCCE_HOST / acme_srv.cfg host) */
  host: string;
  domain: string;
  caName: string;
  user: string;
  password: string;
}

export interface InteropStack {
  dir: string;
  /** the migrated database every acme-api of the stack uses */
  databaseUrl: string;
  sim: SimEndpoint;
  caPem: string;
  caPemFile: string;
  simAdmin: string;
  dnsServer: string;
  challtestsrvManagement: string;
  publicBase: string;
  replicas: AcmeReplica[];
  workers: Proc[];
  redis: TestRedis;
  procs: Proc[];
  close(): Promise<void>;
}

export interface InteropOptions {
  replicas?: number;
  workers?: number;
  /** Extra acme-api environment. */
  env?: Record<string, string>;
  /** Public base URL (default http://127.0.0.1:<first replica port>). */
  publicBase?: (ports: number[]) => string;
  https?: { certFile: string; keyFile: string };
}

/** Starts `node <args>` from the repository root with only PATH and `env`; output goes to <dir>/<name>.log. */
export function startNode(dir: string, name: string, args: string[], env: Record<string, string>): Proc {
  const log = join(dir, `${name}.log`);
  const out = createWriteStream(log);
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  return { name, child, log };
}

/** GET → status (0 when unreachable); HTTPS without verification (a readiness probe only). */
function probe(url: string): Promise<number> {
  return new Promise((resolveProbe) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, { rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolveProbe(res.statusCode ?? 0);
    });
    req.on('error', () => resolveProbe(0));
    req.on('timeout', () => req.destroy());
  });
}

/** Waits until `url` answers 200 (or the process exits: then fails with the end of its log). */
export async function waitReady(proc: Proc, url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) break;
    if ((await probe(url)) === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  const log = await readFile(proc.log, 'utf8').catch(() => '');
  throw new Error(`${proc.name} not ready at ${url}:\n${log.slice(-3000)}`);
}

async function stop(proc: Proc): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.pid === undefined) return;
  const exited = new Promise<void>((r) => proc.child.once('exit', () => r()));
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function startInteropStack(database: TestDatabase, options: InteropOptions = {}): Promise<InteropStack> {
  const dir = await mkdtemp(join(tmpdir(), 'enrollgate-acme-interop-'));
  const procs: Proc[] = [];
  let db: OpenedTestDatabase | undefined;
  let redis: TestRedis | undefined;
  try {
    db = await database.open();
    const handle = openDatabase(db.url);
    await migrateToLatest(handle);
    await handle.close();
    redis = await openTestRedis();
    const user = 'enrollgate';
    const password = randomBytes(12).toString('base64url');

    const [smb, admin, dnsPort, mgmtPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const dnsServer = `127.0.0.1:${dnsPort}`;
    const challtestsrv = spawn('bash', [join(ROOT, 'scripts/peers/pebble-challtestsrv.sh'), String(dnsPort), String(mgmtPort)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const challLog = join(dir, 'challtestsrv.log');
    challtestsrv.stdout?.pipe(createWriteStream(challLog));
    procs.push({ name: 'pebble-challtestsrv', child: challtestsrv, log: challLog });

    const sim = startNode(
      dir,
      'adcs-sim',
      [
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
        `${user}:${password}`,
        '--ca-key',
        'p256',
        '--log-level',
        'warn',
      ],
      {},
    );
    procs.push(sim);
    await waitReady(sim, `http://127.0.0.1:${admin}/readyz`);
    const caPemFile = join(dir, 'sim', 'ca.pem');

    const common = { REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix, LOG_LEVEL: 'warn' };
    const workers: Proc[] = [];
    for (let i = 0; i < (options.workers ?? 1); i++) {
      const port = await freePort();
      const w = startNode(dir, `wcce-worker-${i}`, ['apps/wcce-worker/dist/main.js'], {
        ...common,
        WORKER_LISTEN: `127.0.0.1:${port}`,
        WCCE_HOST: `127.0.0.1:${smb}`,
        WCCE_CA_NAME: 'enrollgate-sim-CA',
        WCCE_TARGET_DOMAIN: 'TEST',
        WCCE_USER: user,
        WCCE_PASSWORD: password,
        WCCE_CA_BUNDLE: caPemFile,
        PENDING_POLL_INITIAL_SECONDS: '1',
        PENDING_POLL_MAX_SECONDS: '2',
      });
      procs.push(w);
      workers.push(w);
      await waitReady(w, `http://127.0.0.1:${port}/readyz`);
    }

    const ports = await Promise.all(Array.from({ length: options.replicas ?? 1 }, () => freePort()));
    const scheme = options.https ? 'https' : 'http';
    const publicBase = options.publicBase?.(ports) ?? `${scheme}://127.0.0.1:${ports[0]}`;
    const replicas: AcmeReplica[] = [];
    for (const [i, port] of ports.entries()) {
      const api = startNode(dir, `acme-api-${i}`, ['apps/acme-api/dist/main.js'], {
        ...common,
        DATABASE_URL: db.url,
        ACME_LISTEN: `127.0.0.1:${port}`,
        ACME_PUBLIC_URL: publicBase,
        ACME_DNS_SERVERS: dnsServer,
        ACME_EAB_KEYS: JSON.stringify({ [EAB_KID]: EAB_HMAC }),
        // a policy file replaces ACME_PROFILES (acme-api refuses both)
        ...(options.env?.['ACME_POLICY_FILE']
          ? {}
          : { ACME_PROFILES: JSON.stringify({ approval: { description: 'Web server, approved by a CA manager', template: 'ManagerApproval' } }) }),
        ...(options.https ? { ACME_TLS_CERT_FILE: options.https.certFile, ACME_TLS_KEY_FILE: options.https.keyFile } : {}),
        ...options.env,
      });
      procs.push(api);
      const directoryUrl = `${scheme}://127.0.0.1:${port}/directory`;
      await waitReady(api, `${scheme}://127.0.0.1:${port}/readyz`);
      replicas.push({ port, directoryUrl, proc: api });
    }
    const caPem = await readFile(caPemFile, 'utf8');
    const ready = redis;
    const opened = db;
    return {
      dir,
      databaseUrl: db.url,
      sim: { host: `127.0.0.1:${smb}`, domain: 'TEST', caName: 'enrollgate-sim-CA', user, password },
      caPem,
      caPemFile,
      simAdmin: `http://127.0.0.1:${admin}`,
      dnsServer,
      challtestsrvManagement: `http://127.0.0.1:${mgmtPort}`,
      publicBase,
      replicas,
      workers,
      redis: ready,
      procs,
      async close() {
        for (const p of [...procs].reverse()) await stop(p);
        await ready.cleanup();
        await opened.cleanup();
        if (!process.env['KEEP_INTEROP_DIR']) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    for (const p of [...procs].reverse()) await stop(p);
    await redis?.cleanup();
    await db?.cleanup();
    throw e;
  }
}

/** Runs a peer command; resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(command: string, args: string[], env: Record<string, string> = {}, timeoutMs = 180_000): Promise<{ code: number; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? -1, output });
    });
  });
}

/** lego's flags for answering http-01 itself on 127.0.0.1:`port`. */
export function legoHttp01(port: number): string[] {
  return ['--http', '--http.port', `127.0.0.1:${port}`];
}

/** `lego --server … --accept-tos -m … --path … <flags> <challenge flags> -d … run`, through run(). */
export function runLego(options: {
  server: string;
  email: string;
  path: string;
  domains: string[];
  challenge: string[];
  flags?: string[];
  env?: Record<string, string>;
}): Promise<{ code: number; output: string }> {
  const { server, email, path, domains, challenge, flags = [], env } = options;
  return run(
    'lego',
    ['--server', server, '--accept-tos', '-m', email, '--path', path, ...flags, ...challenge, ...domains.flatMap((d) => ['-d', d]), 'run'],
    env,
  );
}

/** `openssl verify -CAfile` and the certificate's SANs. */
export async function verifyCertificate(caPemFile: string, certFile: string): Promise<{ verified: boolean; sans: string[]; output: string }> {
  const verify = await run('openssl', ['verify', '-CAfile', caPemFile, certFile]);
  const text = await run('openssl', ['x509', '-in', certFile, '-noout', '-ext', 'subjectAltName']);
  const sans = [...text.output.matchAll(/(?:DNS|IP Address):([^,\s]+)/g)].map((m) => m[1] as string);
  return { verified: verify.code === 0 && /: OK/.test(verify.output), sans, output: verify.output };
}
