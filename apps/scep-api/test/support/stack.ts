/**
 * The real thing for interop tests: adcs-sim, wcce-worker and scep-api as processes from the built
 * dist, on loopback ports, real Redis and a SQLite file. Stops only the processes it started.
 * The pieces are exported for integration tests that bring their own scep-api (startWcceWorker
 * in front of a simulator from test/support/adcs-sim.ts; runScepApiToExit for start-up failures).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { migrateToLatest, openDatabase } from '@enrollgate/store';
import { freePort } from '../../../../test/support/ports.js';
export { freePort };

const root = resolve(import.meta.dirname, '../../../..');
const dist = (app: string) => join(root, 'apps', app, 'dist', 'main.js');

export function builtAppsAvailable(apps: string[]): boolean {
  return apps.every((app) => existsSync(dist(app)));
}

/** A built app as a child process (only PATH inherited), its output collected in `out`. */
function spawnApp(app: string, args: string[], env: Record<string, string>, out: string[]): ChildProcess {
  const child = spawn(process.execPath, [dist(app), ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
  return child;
}

export interface WcceWorkerProcess {
  logs: string[];
  stop(): Promise<void>;
}

/** The built wcce-worker on the queues under `prefix`, enrolling from the simulator at 127.0.0.1:`smbPort` (NTLM). */
export async function startWcceWorker(options: {
  redisUrl: string;
  prefix: string;
  smbPort: number;
  caName: string;
  domain: string;
  user: string;
  password: string;
  caBundle: string;
}): Promise<WcceWorkerProcess> {
  const logs: string[] = [];
  const port = await freePort();
  const child = spawnApp(
    'wcce-worker',
    [],
    {
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: options.prefix,
      LOG_LEVEL: 'warn',
      WORKER_LISTEN: `127.0.0.1:${port}`,
      WCCE_HOST: `127.0.0.1:${options.smbPort}`,
      WCCE_CA_NAME: options.caName,
      WCCE_TARGET_DOMAIN: options.domain,
      WCCE_USER: options.user,
      WCCE_PASSWORD: options.password,
      WCCE_CA_BUNDLE: options.caBundle,
      PENDING_POLL_INITIAL_SECONDS: '1',
      PENDING_POLL_MAX_SECONDS: '2',
    },
    logs,
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(`http://127.0.0.1:${port}/readyz`, 'wcce-worker', () => logs.join(''));
  } catch (e) {
    await stop();
    throw e;
  }
  return { logs, stop };
}

/** Runs the built scep-api with `env` until it exits (a start-up that must fail); killed after `timeoutMs`. */
export function runScepApiToExit(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  const out: string[] = [];
  const child = spawnApp('scep-api', [], env, out);
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((done) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      done({ code, output: out.join('') });
    }),
  );
}

async function waitFor(url: string, what: string, logs: () => string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not ready at ${url}; logs:\n${logs().slice(-3000)}`);
}

export interface ScepStack {
  dir: string;
  scepBase: string;
  simAdmin: string;
  caPem: string;
  logs: Record<string, string[]>;
  stop(): Promise<void>;
}

export async function startScepStack(options: { env?: Record<string, string>; profilesYaml?: string } = {}): Promise<ScepStack> {
  for (const app of ['adcs-sim', 'wcce-worker', 'scep-api']) if (!existsSync(dist(app))) throw new Error(`${dist(app)} missing: run npx nx run-many -t build`);
  const dir = mkdtempSync(join(tmpdir(), 'eg-scep-interop-'));
  const [smb, admin, workerPort, scepPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const prefix = `egscep${scepPort}`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const dbUrl = `sqlite://${join(dir, 'eg.db')}`;
  const db = openDatabase(dbUrl);
  await migrateToLatest(db);
  await db.close();
  writeFileSync(join(dir, 'profiles.yaml'), options.profilesYaml ?? 'profiles:\n  approval:\n    template: ManagerApproval\n');
  const children: ChildProcess[] = [];
  const logs: Record<string, string[]> = {};
  const run = (name: string, args: string[], env: Record<string, string>) => {
    children.push(spawnApp(name, args, env, (logs[name] = [])));
  };
  const password = 'Sim-Passw0rd!';
  run(
    'adcs-sim',
    [
      '--listen',
      `127.0.0.1:${smb}`,
      '--admin-listen',
      `127.0.0.1:${admin}`,
      '--state-dir',
      join(dir, 'sim'),
      '--domain',
      'TEST',
      '--ca-name',
      'eg-scep-CA',
      '--user',
      `svc:${password}`,
      '--log-level',
      'warn',
    ],
    {},
  );
  const stop = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`http://127.0.0.1:${admin}/readyz`, 'adcs-sim', () => logs['adcs-sim']!.join(''));
    const common = { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' };
    run('wcce-worker', [], {
      ...common,
      WORKER_LISTEN: `127.0.0.1:${workerPort}`,
      WCCE_HOST: `127.0.0.1:${smb}`,
      WCCE_CA_NAME: 'eg-scep-CA',
      WCCE_TARGET_DOMAIN: 'TEST',
      WCCE_USER: 'svc',
      WCCE_PASSWORD: password,
      WCCE_CA_BUNDLE: join(dir, 'sim', 'ca.pem'),
      PENDING_POLL_INITIAL_SECONDS: '1',
      PENDING_POLL_MAX_SECONDS: '2',
    });
    run('scep-api', [], {
      ...common,
      SCEP_LISTEN: `127.0.0.1:${scepPort}`,
      DATABASE_URL: dbUrl,
      SCEP_RA_DIR: join(dir, 'ra'),
      SCEP_CHALLENGE_PASSWORD: 'static-secret',
      SCEP_ADMIN_USER: 'fleet',
      SCEP_ADMIN_PASSWORD: 'fleet-pw',
      SCEP_ALLOW_SINGLE_DES: 'true',
      SCEP_PROFILES_FILE: join(dir, 'profiles.yaml'),
      ...options.env,
    });
    const scepBase = `http://127.0.0.1:${scepPort}`;
    // ready once the RA certificates were enrolled from the simulator through the worker
    await waitFor(`${scepBase}/api/scep/ca-thumbprint`, 'scep-api RA', () =>
      Object.entries(logs)
        .map(([k, v]) => `== ${k}\n${v.join('')}`)
        .join('\n'),
    );
    return { dir, scepBase, simAdmin: `http://127.0.0.1:${admin}`, caPem: join(dir, 'sim', 'ca.pem'), logs, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
