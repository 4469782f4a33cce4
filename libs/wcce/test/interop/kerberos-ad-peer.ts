/**
 * A throw-away Samba AD DC for the Kerberos interop specs, started and stopped with the project's own
 * scripts/peers/samba-ad-dc.sh (realm TEST.LOCAL in a private network namespace; the KDC and SMB are
 * reached from here through the relays the script starts on 127.0.0.1). Each spec file gets its own
 * namespace (named after the Jest worker's PID), so files running in parallel do not collide.
 *
 * When the DC cannot start (no root, samba/winbind/socat missing: the script exits 3) the specs skip
 * with a printed reason, unless CI=true, where a missing peer is a failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = new URL('../../../../scripts/peers/samba-ad-dc.sh', import.meta.url).pathname;

export interface AdDc {
  dir: string;
  netns: string;
  realm: string;
  domain: string;
  domainSid: string;
  dcFqdn: string;
  kdc: { host: string; port: number };
  smb: { host: string; port: number };
  user: string;
  password: string;
  userKeytab: string;
  userCcache: string;
  caFqdn: string;
  caKeytab: string;
  dcKeytab: string;
  krb5Config: string;
  startMs: number;
}

/** Starts the DC, or returns the reason it cannot run here (CI=true turns that into a failure). */
export function startAdDc(): AdDc | { skipped: string } {
  const dir = mkdtempSync(join(tmpdir(), 'enrollgate-addc-'));
  const netns = `egad-${process.pid}`;
  try {
    execFileSync('bash', [SCRIPT, 'start', dir], { env: { ...process.env, ADDC_NETNS: netns }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  } catch (e) {
    const err = e as { status?: number; stderr?: Buffer };
    try {
      execFileSync('bash', [SCRIPT, 'stop', dir], { env: { ...process.env, ADDC_NETNS: netns } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const reason = `samba-ad-dc.sh start exited ${err.status}: ${err.stderr?.toString().trim() ?? ''}`;
    if (err.status === 3 && process.env['CI'] !== 'true') return { skipped: reason };
    throw new Error(reason, { cause: e });
  }
  const v = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  );
  const need = (k: string): string => {
    const value = v[k];
    if (value === undefined) throw new Error(`samba-ad-dc.sh env has no ${k}`);
    return value;
  };
  return {
    dir,
    netns,
    realm: need('ADDC_REALM'),
    domain: need('ADDC_DOMAIN'),
    domainSid: need('ADDC_DOMAIN_SID'),
    dcFqdn: need('ADDC_DC_FQDN'),
    kdc: { host: need('ADDC_KDC_HOST'), port: Number(need('ADDC_KDC_PORT')) },
    smb: { host: need('ADDC_SMB_HOST'), port: Number(need('ADDC_SMB_PORT')) },
    user: need('ADDC_USER'),
    password: need('ADDC_PASSWORD'),
    userKeytab: need('ADDC_USER_KEYTAB'),
    userCcache: need('ADDC_USER_CCACHE'),
    caFqdn: need('ADDC_CA_FQDN'),
    caKeytab: need('ADDC_CA_KEYTAB'),
    dcKeytab: need('ADDC_DC_KEYTAB'),
    krb5Config: need('KRB5_CONFIG'),
    startMs: Number(need('ADDC_START_MS')),
  };
}

export function stopAdDc(dc: AdDc | { skipped: string } | undefined): void {
  if (!dc || 'skipped' in dc) return;
  execFileSync('bash', [SCRIPT, 'stop', dc.dir], { env: { ...process.env, ADDC_NETNS: dc.netns } });
  if (process.env['KEEP_ADDC']) console.warn(`Samba AD DC state kept in ${dc.dir}`);
  else rmSync(dc.dir, { recursive: true, force: true });
}

/** The DC's auth-audit log lines (`log level = 1 auth_audit:4`): which mechanism the server saw. */
export function authAuditLines(dc: AdDc): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dc.dir, 'log')).filter((n) => n.startsWith('log.'))) {
    out.push(
      ...readFileSync(join(dc.dir, 'log', name), 'utf8')
        .split('\n')
        .filter((l) => /Successful AuthZ|Auth:/.test(l)),
    );
  }
  return out;
}
