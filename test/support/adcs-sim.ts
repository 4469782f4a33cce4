/**
 * Test support: the BUILT simulator (apps/adcs-sim/dist/main.js) as a real child process on
 * loopback, with ephemeral ports (read back from its "adcs-sim listening" log line) and a temp
 * state directory; CSRs, openssl checks and admin-API calls. Build first:
 * `npx nx run-many -t build` (npm test does).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCsr, encodePem, generateKeyPair, type KeySpec, type SanEntry } from '@enrollgate/pki';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SIM_MAIN = join(REPO_ROOT, 'apps/adcs-sim/dist/main.js');
export const CA_NAME = 'enrollgate-sim-CA';
export const USER = 'svc-enroll';
export const PASSWORD = 'Passw0rd!';
/** NT hash of "Hash0nly!" (second account, `NAME:nt:HEX`). */
export const HASH_USER = 'hash-user';
export const HASH_PASSWORD = 'Hash0nly!';

export interface SimProcess {
  pid: number;
  smbPort: number;
  adminUrl: string;
  stateDir: string;
  caPem: string;
  logs: string[];
  child: ChildProcess;
  /** SIGTERM (graceful), waits for the exit; SIGKILL after 10 s. Removes the state dir. */
  stop(): Promise<number | null>;
}

export function builtSimulatorAvailable(): boolean {
  return existsSync(SIM_MAIN);
}

export async function startSim(extraArgs: string[] = [], options: { hashUserNt?: string } = {}): Promise<SimProcess> {
  if (!builtSimulatorAvailable()) throw new Error(`${SIM_MAIN} is missing: build first (npx nx run-many -t build)`);
  const stateDir = await mkdtemp(join(tmpdir(), 'adcs-sim-test-'));
  const args = [
    SIM_MAIN,
    '--listen',
    '127.0.0.1:0',
    '--admin-listen',
    '127.0.0.1:0',
    '--state-dir',
    stateDir,
    '--domain',
    'TEST',
    '--ca-name',
    CA_NAME,
    '--user',
    `${USER}:${PASSWORD}`,
    ...(options.hashUserNt ? ['--user', `${HASH_USER}:nt:${options.hashUserNt}`] : []),
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done((exitCode = code))));
  const ready = new Promise<{ smb: string; admin: string }>((ok, fail) => {
    let buffer = '';
    const timer = setTimeout(() => fail(new Error(`simulator did not start within 30 s:\n${logs.join('\n')}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        logs.push(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; smb?: string; admin?: string };
          if (entry.msg === 'adcs-sim listening' && entry.smb && entry.admin) {
            clearTimeout(timer);
            ok({ smb: entry.smb, admin: entry.admin });
          }
        } catch {
          // not JSON: keep it in the log only
        }
      }
    });
    child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`simulator exited with ${code}:\n${logs.join('\n')}`));
    });
  });
  const { smb, admin } = await ready;
  const smbPort = Number(smb.split(':').pop());
  return {
    pid: child.pid as number,
    smbPort,
    adminUrl: `http://${admin}`,
    stateDir,
    caPem: join(stateDir, 'ca.pem'),
    logs,
    child,
    async stop() {
      if (exitCode === undefined) {
        process.kill(child.pid as number, 'SIGTERM');
        const killer = setTimeout(() => exitCode === undefined && process.kill(child.pid as number, 'SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      await rm(stateDir, { recursive: true, force: true });
      return exitCode ?? null;
    },
  };
}

export interface TestCsr {
  der: Buffer;
  pem: string;
}

export async function makeCsr(commonName: string, dnsNames: string[] = [commonName], key: KeySpec = 'rsa2048'): Promise<TestCsr> {
  const keys = await generateKeyPair(key);
  const sans: SanEntry[] = dnsNames.map((value) => ({ type: 'dns', value }));
  const csr = await buildCsr({ subject: commonName ? `CN=${commonName}` : '', keys, sans });
  return { der: Buffer.from(csr.der), pem: csr.pem };
}

export function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(cmd, args, { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** What openssl says about an issued certificate: verify against ca.pem, KU, EKU, validity. */
export interface OpensslReport {
  verified: boolean;
  verifyOutput: string;
  keyUsage: string;
  extendedKeyUsage: string;
  notBefore: Date;
  notAfter: Date;
}

export async function opensslCheck(caPem: string, certDer: Uint8Array, workDir: string): Promise<OpensslReport> {
  const file = join(workDir, `cert-${process.hrtime.bigint()}.pem`);
  await writeFile(file, encodePem('CERTIFICATE', certDer));
  const verify = await run('openssl', ['verify', '-CAfile', caPem, file]);
  const ext = await run('openssl', ['x509', '-in', file, '-noout', '-ext', 'keyUsage,extendedKeyUsage', '-dates']);
  const text = ext.stdout;
  const after = (label: string): string => {
    const m = new RegExp(`${label}[^\\n]*\\n\\s*([^\\n]+)`).exec(text);
    return m ? (m[1] as string).trim() : '';
  };
  const date = (key: string): Date => new Date((new RegExp(`${key}=([^\\n]+)`).exec(text)?.[1] ?? '').trim());
  return {
    verified: verify.code === 0 && /: OK\s*$/.test(verify.stdout.trim()),
    verifyOutput: verify.stdout + verify.stderr,
    keyUsage: after('X509v3 Key Usage'),
    extendedKeyUsage: after('X509v3 Extended Key Usage'),
    notBefore: date('notBefore'),
    notAfter: date('notAfter'),
  };
}

export async function admin<T = unknown>(sim: SimProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: T; text: string }> {
  const res = await fetch(sim.adminUrl + path, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // text/plain or PEM
  }
  return { status: res.status, body: parsed as T, text };
}

export const DAY_MS = 86_400_000;
