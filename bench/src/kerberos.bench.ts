/**
 * Kerberos next to NTLM against the simulated CA (adcs-sim with `--keytab` from a real KDC):
 *   - time to first certificate from a cold start: fresh process state (no ticket cached), so it
 *     includes AS + TGS (cifs/, host/) with the KDC, SMB NEGOTIATE + SESSION_SETUP, the RPC bind, and
 *     one CertServerRequest; median and min over several trials;
 *   - steady-state calls/s through a pooled association (concurrency 1 and 8), and a new association
 *     per call (tickets cached, so SESSION_SETUP + bind + request each time).
 * KDC: the Samba AD DC from scripts/peers/samba-ad-dc.sh (root, samba + winbind); if it cannot start,
 * the MIT KDC from scripts/peers/mit-kdc.sh (its cifs/ + host/ca.test.local service keytab).
 *
 *   node bench/dist/kerberos.bench.js [--smoke]      (build first; npm run bench does)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IcprPool, KerberosProvider, NtlmProvider, resetKerberosTicketManagers, type CaTarget, type SecurityProvider } from '@enrollgate/wcce';
import { SMOKE, percentile, printTable, writeResults, type BenchRow } from './harness.js';
import { CA_NAME, PASSWORD, ROOT, USER, makeCsrs, startSim, stopSim, type Sim } from './sim.js';

const ROW_SECONDS = SMOKE ? 0 : 5;
const SMOKE_CALLS = 4;
const COLD_TRIALS = SMOKE ? 2 : 7;
const CA_FQDN = 'ca.test.local';

interface Kdc {
  kind: 'samba-ad-dc' | 'mit-krb5kdc';
  dir: string;
  kdc: { host: string; port: number };
  realm: string;
  user: string;
  userKeytab: string;
  serviceKeytab: string;
  stop(): void;
}

function readEnv(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

function startKdc(): Kdc {
  const dir = mkdtempSync(join(tmpdir(), 'enrollgate-bench-kdc-'));
  const samba = join(ROOT, 'scripts/peers/samba-ad-dc.sh');
  const env = { ...process.env, ADDC_NETNS: `egad-bench-${process.pid}` };
  try {
    execFileSync('bash', [samba, 'start', dir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const v = readEnv(join(dir, 'env'));
    return {
      kind: 'samba-ad-dc',
      dir,
      kdc: { host: v['ADDC_KDC_HOST']!, port: Number(v['ADDC_KDC_PORT']) },
      realm: v['ADDC_REALM']!,
      user: v['ADDC_USER']!,
      userKeytab: v['ADDC_USER_KEYTAB']!,
      serviceKeytab: v['ADDC_CA_KEYTAB']!,
      stop: () => {
        execFileSync('bash', [samba, 'stop', dir], { env });
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    execFileSync('bash', [samba, 'stop', dir], { env });
    console.warn(`Samba AD DC unavailable (${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? String(e)}); using the MIT KDC`);
  }
  const mit = join(ROOT, 'scripts/peers/mit-kdc.sh');
  execFileSync('bash', [mit, 'start', dir], { env: { ...process.env, KRB_HOST: CA_FQDN }, stdio: ['ignore', 'pipe', 'pipe'] });
  const v = readEnv(join(dir, 'env'));
  return {
    kind: 'mit-krb5kdc',
    dir,
    kdc: { host: v['KDC_HOST']!, port: Number(v['KDC_PORT']) },
    realm: v['KRB_REALM']!,
    user: v['KRB_USER']!,
    userKeytab: v['USER_KEYTAB']!,
    serviceKeytab: v['SERVICE_KEYTAB']!,
    stop: () => {
      execFileSync('bash', [mit, 'stop', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Mech = 'kerberos' | 'ntlm';

function provider(mech: Mech, kdc: Kdc): SecurityProvider {
  return mech === 'kerberos'
    ? new KerberosProvider({ kind: 'kerberos', principal: `${kdc.user}@${kdc.realm}`, keytabPath: kdc.userKeytab }, { kdcs: [kdc.kdc] })
    : new NtlmProvider({ kind: 'ntlm', domain: 'TEST', user: USER, password: PASSWORD });
}

async function coldStart(kdc: Kdc, mech: Mech, target: CaTarget): Promise<BenchRow> {
  const csrs = await makeCsrs(COLD_TRIALS, `cold-${mech}`);
  const times: number[] = [];
  for (const csr of csrs) {
    resetKerberosTicketManagers(); // nothing cached: the first call acquires its tickets
    const t0 = performance.now();
    const pool = new IcprPool({ provider: provider(mech, kdc), timeoutMs: 15_000 });
    try {
      const result = await pool.submit(target, { template: 'WebServer', csrDer: csr });
      if (result.status !== 'issued') throw new Error(`cold start: ${result.status}`);
      times.push(performance.now() - t0);
    } finally {
      await pool.close();
    }
  }
  times.sort((a, b) => a - b);
  return {
    auth: mech,
    row: 'first certificate, cold (tickets included)',
    calls: times.length,
    'median ms': Number(percentile(times, 50).toFixed(1)),
    'min ms': Number(times[0]!.toFixed(1)),
    'calls/s': '',
  };
}

async function steady(kdc: Kdc, mech: Mech, target: CaTarget, concurrency: number, newAssociationPerCall: boolean): Promise<BenchRow> {
  resetKerberosTicketManagers();
  const p = provider(mech, kdc);
  const csrs = await makeCsrs(SMOKE ? SMOKE_CALLS : 400, `steady-${mech}`);
  let pool = new IcprPool({ provider: p, maxConnectionsPerTarget: concurrency, timeoutMs: 15_000 });
  await pool.submit(target, { template: 'WebServer', csrDer: csrs[0]! }); // warm: tickets (and, pooled, the associations)
  const latencies: number[] = [];
  let calls = 0;
  const started = performance.now();
  const stopAt = started + ROW_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_v, worker) => {
      for (let i = worker; SMOKE ? calls < SMOKE_CALLS : performance.now() < stopAt; i += concurrency) {
        const t0 = performance.now();
        if (newAssociationPerCall) {
          await pool.close();
          pool = new IcprPool({ provider: p, timeoutMs: 15_000 });
        }
        const result = await pool.submit(target, { template: 'WebServer', csrDer: csrs[i % csrs.length]! });
        if (result.status !== 'issued') throw new Error(`steady: ${result.status}`);
        latencies.push(performance.now() - t0);
        calls++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    auth: mech,
    row: newAssociationPerCall ? `new association per call${mech === 'kerberos' ? ' (tickets cached)' : ''}` : `pooled association, concurrency ${concurrency}`,
    calls,
    'median ms': Number(percentile(latencies, 50).toFixed(1)),
    'min ms': Number(latencies[0]!.toFixed(1)),
    'calls/s': Number((calls / seconds).toFixed(1)),
  };
}

async function main(): Promise<void> {
  const kdc = startKdc();
  let sim: Sim | undefined;
  try {
    sim = await startSim('p256', ['--keytab', kdc.serviceKeytab, '--kerberos-service', `host/${CA_FQDN}`, '--kerberos-service', `cifs/${CA_FQDN}`]);
    const target: CaTarget = { host: '127.0.0.1', port: sim.port, serverName: CA_FQDN, caName: CA_NAME };
    const rows: BenchRow[] = [];
    for (const mech of ['kerberos', 'ntlm'] as const) rows.push(await coldStart(kdc, mech, target));
    for (const mech of ['kerberos', 'ntlm'] as const) {
      rows.push(await steady(kdc, mech, target, 1, false));
      rows.push(await steady(kdc, mech, target, 8, false));
      rows.push(await steady(kdc, mech, target, 1, true));
    }
    printTable(`Kerberos vs NTLM against adcs-sim (P-256 CA), KDC: ${kdc.kind}${SMOKE ? ' [smoke]' : ''}`, rows);
    const file = writeResults('kerberos', { kdc: kdc.kind, smoke: SMOKE, rows });
    console.log(`results: ${file}`);
  } finally {
    if (sim) await stopSim(sim);
    kdc.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
