/**
 * Test support: run the openssl CLI as an independent verifier. Not exported from index.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs openssl; never throws on a non-zero exit (tests assert on status and output). */
export function openssl(args: readonly string[], input?: Uint8Array | string): OpensslResult {
  const r = spawnSync('openssl', args, { input });
  if (r.error) throw r.error;
  return {
    status: r.status ?? -1,
    stdout: r.stdout.toString('latin1'),
    stderr: r.stderr.toString('latin1'),
  };
}

/** openssl that must succeed; returns stdout (binary output as a Buffer via `opensslBytes`). */
export function opensslOk(args: readonly string[], input?: Uint8Array | string): string {
  const r = openssl(args, input);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function opensslBytes(args: readonly string[], input?: Uint8Array | string): Uint8Array {
  return new Uint8Array(execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] }));
}

/** A temp directory with a file writer, removed by `cleanup()`. */
export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'enrollgate-pki-'));

  file(name: string, content: string | Uint8Array): string {
    const p = join(this.path, name);
    writeFileSync(p, content);
    return p;
  }

  join(name: string): string {
    return join(this.path, name);
  }

  cleanup(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/**
 * A self-signed P-256 certificate made by `openssl req -x509`, written to `certOut` with its key
 * at `keyOut` (PEM); `serial` as `-set_serial` takes it.
 */
export function opensslSelfSignedP256(keyOut: string, certOut: string, subject: string, options: { days?: number; serial?: string } = {}): void {
  opensslOk([
    'req',
    '-x509',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyOut,
    '-subj',
    subject,
    '-days',
    String(options.days ?? 30),
    ...(options.serial !== undefined ? ['-set_serial', options.serial] : []),
    '-out',
    certOut,
  ]);
}
