/**
 * Sealed MS-RPC call rate and CPU: srvsvc NetrServerGetInfo(101), NTLM at PKT_PRIVACY, against a
 * throw-away Samba smbd on loopback (scripts/peers/samba-smbd.sh), SMB 2.1 and SMB 3.0:
 *   ours new      a new connection per call (TCP + negotiate + NTLM + tree + pipe + bind), as
 *                 acme2certifier and Certipy do per enrollment
 *   ours pool x1  IcprPool.withConnection, one reused association, calls one after another
 *   ours pool x4  IcprPool.withConnection, 4 callers at once over up to 4 associations
 *   impacket new / reuse   Debian python3-impacket doing the same call (bench/peers/impacket_rpc.py),
 *                 run in the same benchmark run against the same smbd
 * At SMB 3.0 impacket turns SMB3 encryption on by itself, so our 3.0 rows ask for it too
 * (`encryption: 'required'`): both sides then do sealed RPC inside encrypted SMB.
 *
 * CPU per call: client = our process (process.cpuUsage) or impacket's own getrusage; smbd = the
 * main smbd plus its per-connection children (live ones from /proc, exited ones through the main
 * process's cutime/cstime); rpcd = samba-dcerpcd and its rpcd_* workers, which serve srvsvc.
 * Targets (issue 3, reported, not asserted): client CPU <= 0.5 ms per pooled call, pooled calls/s
 * above impacket's reused binding.
 *
 *   node bench/dist/wcce-rpc.bench.js [--smoke]        (or: npm run bench -- wcce-rpc)
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IcprPool, NtlmProvider, RpcPipeConnection, SRVSVC, netrServerGetInfo, type RpcConnectionOptions, type Smb2Dialect } from '@enrollgate/wcce';
import { SMOKE, percentile, printTable, processCpuSeconds, selfCpuSeconds, writeResults, type BenchRow } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const SAMBA_SCRIPT = join(repo, 'scripts', 'peers', 'samba-smbd.sh');
const IMPACKET_SCRIPT = join(repo, 'bench', 'peers', 'impacket_rpc.py');
const PYTHON = '/usr/bin/python3';
const SERVER_NAME = 'PEERSRV';

/** Each row runs until this many seconds pass (or MAX_CALLS); --smoke: 3 calls. */
const ROW_SECONDS = SMOKE ? 60 : 12;
const MAX_CALLS = SMOKE ? 3 : 1_000_000;
const WARMUP_CALLS = SMOKE ? 1 : 20;

interface Samba {
  dir: string;
  port: number;
  user: string;
  password: string;
  pid: number;
  conf: string;
}

interface RowResult {
  calls: number;
  seconds: number;
  clientCpuS: number;
  latenciesMs: number[];
}

function startSamba(): Samba {
  const dir = mkdtempSync(join(tmpdir(), 'enrollgate-bench-smbd-'));
  // SMB_SIGNING=mandatory as in the interop tests; encryption when the client asks (3.0 rows).
  const out = execFileSync('bash', [SAMBA_SCRIPT, 'start', dir], {
    env: { ...process.env, SMB_SIGNING: 'mandatory', SMB_ENCRYPT: 'if_required' },
    stdio: ['ignore', 'pipe', 'inherit'],
  }).toString();
  const env = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string>;
  return { dir, port: Number(out.trim()), user: env['USER']!, password: env['PASSWORD']!, pid: Number(env['PID']), conf: join(dir, 'smb.conf') };
}

function stopSamba(s: Samba): void {
  execFileSync('bash', [SAMBA_SCRIPT, 'stop', s.dir], { stdio: 'inherit' });
  rmSync(s.dir, { recursive: true, force: true });
}

const TICKS_PER_S = 100; // USER_HZ on Linux x86_64, as harness.processCpuSeconds assumes

interface ProcInfo {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime: its own CPU and that of its reaped children. */
  withReaped: number;
}

function procs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(e), ppid: Number(f[1]), withReaped: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS_PER_S });
    } catch {
      // gone between readdir and read
    }
  }
  return out;
}

/**
 * Server CPU so far: smbd = main smbd (own + reaped children) + its live children (processCpuSeconds);
 * rpcd = samba-dcerpcd (own + reaped rpcd_* workers) + its live rpcd_* children, found by its PID file.
 */
function serverCpu(s: Samba): { smbd: number; rpcd: number } {
  const all = procs();
  const main = all.find((p) => p.pid === s.pid);
  let smbd = main?.withReaped ?? 0;
  for (const p of all) if (p.ppid === s.pid) smbd += safeCpu(p.pid);
  let rpcd = 0;
  const pidFile = join(s.dir, 'pid', 'samba-dcerpcd.pid');
  if (existsSync(pidFile)) {
    const dcerpcd = Number(readFileSync(pidFile, 'utf8').trim());
    rpcd += all.find((p) => p.pid === dcerpcd)?.withReaped ?? 0;
    for (const p of all) if (p.ppid === dcerpcd) rpcd += safeCpu(p.pid);
  }
  return { smbd, rpcd };
}

function safeCpu(pid: number): number {
  try {
    return processCpuSeconds(pid);
  } catch {
    return 0;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function connectionOptions(s: Samba, dialect: Smb2Dialect): RpcConnectionOptions {
  return {
    provider: new NtlmProvider({ kind: 'ntlm', domain: 'TEST', user: s.user, password: s.password }),
    dialects: [dialect],
    encryption: dialect >= 0x0300 ? 'required' : 'auto',
    timeoutMs: 10_000,
  };
}

async function checkedCall(conn: RpcPipeConnection): Promise<void> {
  const info = await netrServerGetInfo(conn.rpc);
  if (info.name !== SERVER_NAME) throw new Error(`unexpected server name ${info.name}`);
}

/**
 * Runs `workers` loops of `one()` until ROW_SECONDS or MAX_CALLS, timing each call; client and
 * server CPU are taken around the timed calls only (warm-up and pool set-up stay outside).
 */
async function timed(s: Samba, workers: number, one: () => Promise<void>): Promise<RowResult & ServerCpu> {
  const latenciesMs: number[] = [];
  let started = 0;
  const server0 = serverCpu(s);
  const cpu0 = selfCpuSeconds();
  const t0 = performance.now();
  const until = t0 + ROW_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (started < MAX_CALLS && performance.now() < until) {
        started++;
        const a = performance.now();
        await one();
        latenciesMs.push(performance.now() - a);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const clientCpuS = selfCpuSeconds() - cpu0;
  const server = await serverCpuSince(s, server0);
  return { calls: latenciesMs.length, seconds, clientCpuS, latenciesMs, ...server };
}

async function oursNew(s: Samba, dialect: Smb2Dialect): Promise<RowResult & ServerCpu> {
  const options = connectionOptions(s, dialect);
  const target = { host: '127.0.0.1', port: s.port, serverName: SERVER_NAME };
  const once = async (): Promise<void> => {
    const conn = await RpcPipeConnection.open(target, 'srvsvc', SRVSVC, options);
    try {
      await checkedCall(conn);
    } finally {
      await conn.close();
    }
  };
  for (let i = 0; i < WARMUP_CALLS; i++) await once();
  return timed(s, 1, once);
}

async function oursPool(s: Samba, dialect: Smb2Dialect, concurrency: number): Promise<RowResult & ServerCpu & { connects: number }> {
  const pool = new IcprPool({ ...connectionOptions(s, dialect), endpoint: { pipeName: 'srvsvc', syntax: SRVSVC }, maxConnectionsPerTarget: concurrency });
  const target = { host: '127.0.0.1', port: s.port, serverName: SERVER_NAME };
  let connects = 0;
  const once = async (): Promise<void> => {
    const info = { connected: false };
    await pool.withConnection(target, info, checkedCall);
    if (info.connected) connects++;
  };
  try {
    // Warm up: open the associations (not timed), so the row measures reuse.
    await Promise.all(Array.from({ length: concurrency }, () => once()));
    for (let i = 0; i < WARMUP_CALLS; i++) await once();
    connects = 0;
    const result = await timed(s, concurrency, once);
    return { ...result, connects };
  } finally {
    await pool.close();
  }
}

interface ImpacketOut {
  mode: string;
  calls: number;
  seconds: number;
  cpu_s: number;
  lat_med_ms: number | null;
  name: string | null;
  error?: string;
}

function impacket(s: Samba, dialect: '2.1' | '3.0', mode: 'new' | 'reuse', calls: number, maxSeconds: number): Promise<ImpacketOut> {
  return new Promise((resolve, reject) => {
    const args = [
      IMPACKET_SCRIPT,
      '--port',
      String(s.port),
      '--user',
      s.user,
      '--password',
      s.password,
      '--mode',
      mode,
      '--dialect',
      dialect,
      '--calls',
      String(calls),
      '--max-seconds',
      String(maxSeconds),
    ];
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    // Bounded: the row's own limit plus generous slack, then the child (ours, by PID) is killed.
    const timer = setTimeout(() => child.kill('SIGKILL'), (maxSeconds + 120) * 1000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        const parsed = JSON.parse(line) as ImpacketOut;
        if (parsed.error || code !== 0) reject(new Error(`impacket ${mode} ${dialect}: ${parsed.error ?? `exit ${code}`} ${err}`));
        else resolve(parsed);
      } catch {
        reject(new Error(`impacket ${mode} ${dialect}: exit ${code}, output ${JSON.stringify(out)} ${err}`));
      }
    });
  });
}

function impacketAvailable(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import impacket'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface ServerCpu {
  smbdCpuS: number;
  rpcdCpuS: number;
}

async function serverCpuSince(s: Samba, before: { smbd: number; rpcd: number }): Promise<ServerCpu> {
  await sleep(500); // let smbd reap its per-connection children, so their CPU lands in its cutime
  const after = serverCpu(s);
  return { smbdCpuS: after.smbd - before.smbd, rpcdCpuS: after.rpcd - before.rpcd };
}

function row(
  client: string,
  mode: string,
  dialect: string,
  r: { calls: number; seconds: number; clientCpuS: number; smbdCpuS: number; rpcdCpuS: number; latMedMs: number; latP99Ms?: number; connects?: number },
): BenchRow {
  const perCall = (s: number): number => (r.calls > 0 ? (s * 1000) / r.calls : NaN);
  return {
    client,
    mode,
    smb: dialect,
    calls: r.calls,
    seconds: Number(r.seconds.toFixed(2)),
    'calls/s': Number((r.calls / r.seconds).toFixed(1)),
    'lat med ms': Number(r.latMedMs.toFixed(2)),
    'lat p99 ms': r.latP99Ms === undefined ? undefined : Number(r.latP99Ms.toFixed(2)),
    'client ms/call': Number(perCall(r.clientCpuS).toFixed(3)),
    'smbd ms/call': Number(perCall(r.smbdCpuS).toFixed(3)),
    'rpcd ms/call': Number(perCall(r.rpcdCpuS).toFixed(3)),
    connects: r.connects,
  };
}

async function main(): Promise<void> {
  const samba = startSamba();
  const stop = (): void => stopSamba(samba);
  const onSignal = (): void => {
    stop();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const rows: BenchRow[] = [];
  const withImpacket = impacketAvailable();
  if (!withImpacket) process.stderr.write('impacket not importable from /usr/bin/python3 (apt-get install python3-impacket): its rows are skipped\n');
  try {
    for (const [name, dialect] of [
      ['2.1', 0x0210],
      ['3.0', 0x0300],
    ] as const) {
      const ours = (r: RowResult & ServerCpu & { connects?: number }) => {
        const sorted = [...r.latenciesMs].sort((a, b) => a - b);
        return { ...r, latMedMs: percentile(sorted, 50), latP99Ms: percentile(sorted, 99) };
      };
      rows.push(row('ours', 'new conn per call', name, ours(await oursNew(samba, dialect))));
      rows.push(row('ours', 'pool x1 (reused)', name, ours(await oursPool(samba, dialect, 1))));
      rows.push(row('ours', 'pool x4 concurrent', name, ours(await oursPool(samba, dialect, 4))));
      if (withImpacket) {
        for (const mode of ['new', 'reuse'] as const) {
          await impacket(samba, name, mode, WARMUP_CALLS, 30); // warm-up, not measured
          // impacket's own process start-up is outside its timed loop; in `reuse` mode its one
          // connect lands in the server's figure (one per run, negligible over a full row).
          const before = serverCpu(samba);
          const out = await impacket(samba, name, mode, MAX_CALLS, ROW_SECONDS);
          const r = { ...out, ...(await serverCpuSince(samba, before)) };
          rows.push(
            row('impacket 0.10', mode === 'new' ? 'new conn per call' : 'reused binding', name, {
              calls: r.calls,
              seconds: r.seconds,
              clientCpuS: r.cpu_s,
              smbdCpuS: r.smbdCpuS,
              rpcdCpuS: r.rpcdCpuS,
              latMedMs: r.lat_med_ms ?? NaN,
            }),
          );
        }
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stop();
  }

  printTable('wcce-rpc: srvsvc NetrServerGetInfo(101), NTLM PKT_PRIVACY, Samba smbd on loopback (3.0 rows SMB3-encrypted)', rows);
  const targets = targetCheck(rows);
  for (const line of targets) process.stdout.write(`${line}\n`);
  const file = writeResults('wcce-rpc', { rows, targets, rowSeconds: ROW_SECONDS });
  process.stdout.write(`\nresults: ${file}\n`);
}

/** The issue's targets, reported (not asserted): pooled client CPU and pooled rate vs impacket. */
function targetCheck(rows: BenchRow[]): string[] {
  const lines: string[] = [];
  for (const smb of ['2.1', '3.0']) {
    const pooled = rows.find((r) => r['client'] === 'ours' && r['mode'] === 'pool x1 (reused)' && r['smb'] === smb);
    const imp = rows.find((r) => r['client'] === 'impacket 0.10' && r['mode'] === 'reused binding' && r['smb'] === smb);
    if (!pooled) continue;
    const cpu = Number(pooled['client ms/call']);
    lines.push(`target SMB ${smb}: pooled client CPU ${cpu.toFixed(3)} ms/call ${cpu <= 0.5 ? '<=' : '>'} 0.5 ms ${cpu <= 0.5 ? 'MET' : 'MISSED'}`);
    if (imp) {
      const ours = Number(pooled['calls/s']);
      const theirs = Number(imp['calls/s']);
      lines.push(
        `target SMB ${smb}: pooled ${ours} calls/s vs impacket reused ${theirs} calls/s: ${ours > theirs ? 'MET' : 'MISSED'} (${(ours / theirs).toFixed(2)}x)`,
      );
    }
  }
  return lines;
}

main().catch((e: unknown) => {
  process.stderr.write(`wcce-rpc benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
