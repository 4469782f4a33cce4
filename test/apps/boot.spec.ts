/**
 * The built apps as real processes: bad configuration exits 2 naming the key; good configuration
 * serves /livez, /readyz (Redis and the database) and /metrics, and SIGTERM shuts down cleanly.
 * Needs the apps built (npm test builds them first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { migrateToLatest, openDatabase } from '@enrollgate/store';
import { redisUrl } from '../support/redis.js';
import { freePort } from '../support/ports.js';

const root = resolve(import.meta.dirname, '../..');
const entry = (app: string) => join(root, 'apps', app, 'dist', 'main.js');

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

function run(app: string, env: Record<string, string>): Run {
  const child = spawn(process.execPath, [entry(app)], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.on('data', (d: Buffer) => stdout.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stdout, stderr, exited };
}

async function waitFor(url: string, timeoutMs = 20000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await fetch(url);
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`no answer from ${url}: ${String(last)}`);
}

beforeAll(() => {
  for (const app of ['acme-api', 'scep-api', 'wcce-worker']) {
    if (!existsSync(entry(app))) throw new Error(`${entry(app)} missing: build first (npm test does: nx run-many -t build)`);
  }
});

describe('app start-up with bad configuration', () => {
  it.each([
    ['acme-api', { ACME_LISTEN: 'not-an-address' }, 'ACME_LISTEN: expected HOST:PORT'],
    // the policy is opened before anything connects: libs/policy's message, exit 2
    ['acme-api', { ACME_POLICY_FILE: '/nonexistent/policy.yaml' }, 'ACME_POLICY_FILE /nonexistent/policy.yaml: cannot read the file (ENOENT)'],
    ['scep-api', { REDIS_URL: 'http://x' }, 'REDIS_URL: expected a URL (redis://, rediss://)'],
    ['wcce-worker', { WCCE_HOST: 'ca1', WCCE_CA_NAME: 'CA', WCCE_TARGET_DOMAIN: 'TEST', WCCE_USER: 'svc' }, 'WCCE_PASSWORD: missing'],
    [
      'wcce-worker',
      { WCCE_HOST: 'ca1,ca2,ca3', WCCE_CA_NAME: 'A,B', WCCE_TARGET_DOMAIN: 'TEST', WCCE_USER: 'svc', WCCE_PASSWORD: 'hunter2' },
      'WCCE_CA_NAME: has 2 entries; WCCE_HOST has 3',
    ],
  ])('%s exits 2 and names the key (%j)', async (app, env, expected) => {
    const sut = run(app, env);
    expect(await sut.exited).toBe(2);
    const err = sut.stderr.join('');
    expect(err).toContain(expected);
    expect(err).not.toContain('hunter2');
  });
});

describe('app start-up, health and graceful shutdown', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eg-boot-'));
    const db = openDatabase(`sqlite://${join(dir, 'eg.db')}`);
    await migrateToLatest(db);
    await db.close();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(['acme-api', 'scep-api', 'wcce-worker'])('%s serves /livez, /readyz and /metrics, then stops on SIGTERM', async (app) => {
    const port = await freePort();
    const listenKey = app === 'acme-api' ? 'ACME_LISTEN' : app === 'scep-api' ? 'SCEP_LISTEN' : 'WORKER_LISTEN';
    const env: Record<string, string> = {
      [listenKey]: `127.0.0.1:${port}`,
      REDIS_URL: redisUrl(),
      DATABASE_URL: `sqlite://${join(dir, 'eg.db')}`,
      QUEUE_PREFIX: `egboot${port}`,
      // the worker needs its CA settings; nothing is contacted until a job arrives
      WCCE_HOST: '127.0.0.1:9',
      WCCE_CA_NAME: 'boot-CA',
      WCCE_TARGET_DOMAIN: 'TEST',
      WCCE_USER: 'svc',
      WCCE_PASSWORD: 'hunter2',
    };
    const sut = run(app, env);
    try {
      const live = await waitFor(`http://127.0.0.1:${port}/livez`);
      expect(live.status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      const report = (await ready.json()) as { ok: boolean; checks: Record<string, { ok: boolean }> };
      expect(ready.status).toBe(200);
      expect(report.checks['redis']?.ok).toBe(true);
      if (app !== 'wcce-worker') expect(report.checks['database']?.ok).toBe(true);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/^enrollgate_process_cpu_seconds_total/m);
      expect(metrics).not.toMatch(/^(?!enrollgate_|#)\w+/m);
      sut.child.kill('SIGTERM');
      expect(await sut.exited).toBe(0);
      const logs = sut.stdout.join('');
      const lines = logs
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { app: string; msg: string });
      expect(lines.every((l) => l.app === app)).toBe(true);
      expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['listening', 'shutting down', 'stopped']));
      expect(logs).not.toContain('hunter2');
    } finally {
      if (sut.child.exitCode === null) sut.child.kill('SIGKILL');
    }
  });
});
