/**
 * A throw-away Samba smbd for interop specs, started and stopped with the project's own
 * scripts/peers/samba-smbd.sh (standalone server PEERSRV in workgroup TEST, loopback only, a private
 * tdbsam). Only the processes that script started are ever stopped (it kills by its PID file).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = new URL('../../../../scripts/peers/samba-smbd.sh', import.meta.url).pathname;

/** What samba-smbd.sh configures (smb.conf `netbios name`, `workgroup`). */
export const SAMBA_SERVER_NAME = 'PEERSRV';
export const SAMBA_WORKGROUP = 'TEST';

export interface SambaPeer {
  dir: string;
  port: number;
  user: string;
  password: string;
  /** The main smbd (per-connection processes are its children). */
  pid: number;
}

export interface SambaOptions {
  signing?: 'mandatory' | 'default' | 'disabled';
  encrypt?: 'off' | 'if_required' | 'desired' | 'required';
  maxProtocol?: string;
  /** smb.conf `server string`: NetrServerGetInfo level 101 returns it as sv101_comment. */
  serverString?: string;
}

export function startSamba(options: SambaOptions = {}): SambaPeer {
  const dir = mkdtempSync(join(tmpdir(), 'enrollgate-smbd-'));
  const env: Record<string, string> = {};
  if (options.signing) env['SMB_SIGNING'] = options.signing;
  if (options.encrypt) env['SMB_ENCRYPT'] = options.encrypt;
  if (options.maxProtocol) env['SMB_MAX_PROTOCOL'] = options.maxProtocol;
  if (options.serverString) env['SMB_SERVER_STRING'] = options.serverString;
  let out: string;
  try {
    out = execFileSync('bash', [SCRIPT, 'start', dir], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (e) {
    const err = e as { status?: number; stderr?: Buffer };
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start smbd (exit ${err.status}): ${err.stderr?.toString() ?? ''}`, { cause: e });
  }
  const vars = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  );
  return { dir, port: Number(out.trim()), user: vars['USER']!, password: vars['PASSWORD']!, pid: Number(vars['PID']) };
}

export function stopSamba(peer: SambaPeer | undefined): void {
  if (!peer) return;
  execFileSync('bash', [SCRIPT, 'stop', peer.dir]);
  rmSync(peer.dir, { recursive: true, force: true });
}

/** Direct children of `pid` (smbd forks one per client connection), from /proc. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process went away between readdir and read
    }
  }
  return out;
}

/** Polls `check` every 20 ms until it is true or `ms` pass. */
export async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}
