/** Test support for the CA engine specs: openssl as an independent verifier, temp dirs, CSRs. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCsr, generateKeyPair, type CryptoKeyPair, type CsrBuildOptions } from '@enrollgate/pki';

export function openssl(args: readonly string[], input?: Uint8Array | string): { status: number; out: string } {
  const r = spawnSync('openssl', args, { input });
  if (r.error) throw r.error;
  return {
    status: r.status ?? -1,
    out: r.stdout.toString('latin1') + r.stderr.toString('latin1'),
  };
}

export function opensslOk(args: readonly string[], input?: Uint8Array | string): string {
  const r = openssl(args, input);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.out}`);
  return r.out;
}

export function tempDir(): {
  path: string;
  file(name: string, content: string | Uint8Array): string;
  cleanup(): void;
} {
  const path = mkdtempSync(join(tmpdir(), 'enrollgate-sim-'));
  return {
    path,
    file(name, content) {
      const p = join(path, name);
      writeFileSync(p, content);
      return p;
    },
    cleanup() {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Key pairs generated once per spec file (RSA generation is the slow part). */
export class Keys {
  private static cache = new Map<string, Promise<CryptoKeyPair>>();
  static get(spec: 'rsa2048' | 'p256' | 'p384'): Promise<CryptoKeyPair> {
    let k = Keys.cache.get(spec);
    if (k === undefined) Keys.cache.set(spec, (k = generateKeyPair(spec)));
    return k;
  }
}

export async function csr(
  subject: string,
  options: Partial<Omit<CsrBuildOptions, 'subject' | 'keys'>> & {
    key?: 'rsa2048' | 'p256' | 'p384';
  } = {},
): Promise<Uint8Array> {
  const { key = 'rsa2048', ...rest } = options;
  return (await buildCsr({ subject, keys: await Keys.get(key), ...rest })).der;
}

/** Days between notBefore and notAfter as openssl prints them, minus AD CS's 10-minute back-dating. */
export function opensslValidityDays(pem: string): number {
  const dates = opensslOk(['x509', '-noout', '-dates'], pem);
  const nb = Date.parse(/notBefore=(.*)/.exec(dates)![1]!);
  const na = Date.parse(/notAfter=(.*)/.exec(dates)![1]!);
  return Math.round(((na - nb - 10 * 60_000) / 86_400_000) * 1000) / 1000;
}
