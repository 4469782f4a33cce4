/**
 * The built simulator (apps/adcs-sim/dist/main.js) as a child process for benchmarks, and CSRs
 * made before a timed part. Shared by the benchmarks that enroll from it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCsr, generateKeyPair } from '@enrollgate/pki';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SIM_MAIN = join(ROOT, 'apps/adcs-sim/dist/main.js');
export const CA_NAME = 'enrollgate-sim-CA';
export const USER = 'bench';
export const PASSWORD = 'Bench-Passw0rd!';

export interface Sim {
  child: ChildProcess;
  pid: number;
  port: number;
  adminUrl: string;
  stateDir: string;
}

export async function startSim(caKey: 'rsa2048' | 'p256', extraArgs: string[] = []): Promise<Sim> {
  if (!existsSync(SIM_MAIN)) throw new Error(`${SIM_MAIN} is missing: build first (npx nx run-many -t build)`);
  const stateDir = await mkdtemp(join(tmpdir(), 'adcs-sim-bench-'));
  const child = spawn(
    process.execPath,
    [
      SIM_MAIN,
      '--listen',
      '127.0.0.1:0',
      '--admin-listen',
      '127.0.0.1:0',
      '--state-dir',
      stateDir,
      '--ca-key',
      caKey,
      '--user',
      `${USER}:${PASSWORD}`,
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const { port, admin } = await new Promise<{ port: number; admin: string }>((ok, fail) => {
    let buffer = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      const line = buffer.split('\n').find((l) => l.includes('"msg":"adcs-sim listening"'));
      if (line) {
        const entry = JSON.parse(line) as { smb: string; admin: string };
        ok({ port: Number(entry.smb.split(':').pop()), admin: entry.admin });
      }
    });
    child.once('exit', (code) => fail(new Error(`adcs-sim exited with ${code}`)));
  });
  child.stdout?.resume();
  return { child, pid: child.pid as number, port, adminUrl: `http://${admin}`, stateDir };
}

export async function stopSim(sim: Sim): Promise<void> {
  const exited = new Promise((done) => sim.child.once('exit', done));
  process.kill(sim.pid, 'SIGTERM');
  await exited;
  await rm(sim.stateDir, { recursive: true, force: true });
}

/** P-256 CSRs with one DNS name each, made before the timed part. */
export async function makeCsrs(n: number, prefix = 'bench'): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const keys = await generateKeyPair('p256');
    const name = `${prefix}${i}.test.local`;
    out.push(Buffer.from((await buildCsr({ subject: `CN=${name}`, keys, sans: [{ type: 'dns', value: name }] })).der));
  }
  return out;
}
