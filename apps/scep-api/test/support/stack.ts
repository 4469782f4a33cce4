/**
 * The real thing for interop tests: adcs-sim, wcce-worker and scep-api as processes from the built
 * dist, on loopback ports, real Redis and a SQLite file. Stops only the processes it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { migrateToLatest, openDatabase } from '@enrollgate/store';

const root = resolve(import.meta.dirname, '../../../..');
const dist = (app: string) => join(root, 'apps', app, 'dist', 'main.js');

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
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
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = (logs[name] = []);
    child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
    children.push(child);
  };
  const password = 'Sim-Passw0rd!';
  run(
    'adcs-sim',
    [
      dist('adcs-sim'),
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
    run('wcce-worker', [dist('wcce-worker')], {
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
    run('scep-api', [dist('scep-api')], {
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
