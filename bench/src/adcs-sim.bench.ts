/**
 * adcs-sim throughput: certificates per second the simulated AD CS issues to the pooled MS-ICPR
 * client (IcprPool over SMB2/3 + NTLM + DCE/RPC PKT_PRIVACY), at concurrency 1 and 8, with an
 * RSA-2048 CA and a P-256 CA, and CPU per certificate on both sides (the simulator's from
 * /proc/PID/stat, the client's from process.cpuUsage()). CSRs (P-256 keys) are made before the
 * timed part; every certificate is verified against DIR/ca.pem after it.
 *
 *   node bench/dist/adcs-sim.bench.js [--smoke]      (build first; npm run bench does)
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IcprPool, NtlmProvider, type CaTarget } from '@enrollgate/wcce';
import { SMOKE, percentile, printTable, processCpuSeconds, selfCpuSeconds, writeResults, type BenchRow } from './harness.js';
import { CA_NAME, PASSWORD, USER, makeCsrs, startSim, stopSim, type Sim } from './sim.js';

const ROW_SECONDS = SMOKE ? 0 : 10;
const SMOKE_CERTS = 6;

async function runRow(sim: Sim, caKey: string, concurrency: number): Promise<BenchRow> {
  const target: CaTarget = { host: '127.0.0.1', port: sim.port, caName: CA_NAME };
  const pool = new IcprPool({
    provider: new NtlmProvider({ kind: 'ntlm', domain: 'TEST', user: USER, password: PASSWORD }),
    maxConnectionsPerTarget: concurrency,
    timeoutMs: 15_000,
    callDeadlineMs: 60_000,
  });
  try {
    // Warm-up (opens the associations) and calibration: how many CSRs fill ROW_SECONDS.
    const [probe] = await makeCsrs(1);
    const warmStart = performance.now();
    let warmCount = 0;
    while (warmCount < concurrency * 2 || (!SMOKE && performance.now() - warmStart < 1500)) {
      await Promise.all(Array.from({ length: concurrency }, () => pool.submit(target, { template: 'WebServer', csrDer: probe as Buffer })));
      warmCount += concurrency;
    }
    const rate = warmCount / ((performance.now() - warmStart) / 1000);
    // Twice the calibrated need (capped): the timed part stops at ROW_SECONDS, whichever comes first.
    const count = SMOKE ? SMOKE_CERTS : Math.min(20_000, Math.max(concurrency * 4, Math.ceil(rate * ROW_SECONDS * 2)));
    const csrs = await makeCsrs(count);

    const certificates: Buffer[] = [];
    const latencies: number[] = [];
    let next = 0;
    const simCpu0 = processCpuSeconds(sim.pid);
    const selfCpu0 = selfCpuSeconds();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const stopAt = started + ROW_SECONDS * 1000;
        for (let i = next++; i < csrs.length && (SMOKE || performance.now() < stopAt); i = next++) {
          const t0 = performance.now();
          const result = await pool.submit(target, { template: 'WebServer', csrDer: csrs[i] as Buffer });
          latencies.push(performance.now() - t0);
          if (result.status !== 'issued') throw new Error(`request ${result.requestId} was ${result.status}`);
          certificates.push(result.certificate);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const simCpu = processCpuSeconds(sim.pid) - simCpu0;
    const selfCpu = selfCpuSeconds() - selfCpu0;

    // After the timed part: every certificate must chain to DIR/ca.pem.
    const ca = new X509Certificate(await readFile(join(sim.stateDir, 'ca.pem')));
    const verified = certificates.filter((der) => {
      const cert = new X509Certificate(der);
      return cert.checkIssued(ca) && cert.verify(ca.publicKey);
    }).length;
    if (verified !== certificates.length) throw new Error(`${certificates.length - verified} certificates do not verify against ca.pem`);

    latencies.sort((a, b) => a - b);
    return {
      ca: caKey === 'p256' ? 'P-256' : 'RSA-2048',
      concurrency,
      certs: certificates.length,
      seconds: Number(seconds.toFixed(2)),
      'certs/s': Number((certificates.length / seconds).toFixed(1)),
      'p50 ms': Number(percentile(latencies, 50).toFixed(1)),
      'p99 ms': Number(percentile(latencies, 99).toFixed(1)),
      'sim CPU ms/cert': Number(((simCpu * 1000) / certificates.length).toFixed(2)),
      'client CPU ms/cert': Number(((selfCpu * 1000) / certificates.length).toFixed(2)),
      verified: `${verified}/${certificates.length}`,
    };
  } finally {
    await pool.close();
  }
}

async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  for (const caKey of ['rsa2048', 'p256'] as const) {
    const sim = await startSim(caKey);
    try {
      for (const concurrency of [1, 8]) rows.push(await runRow(sim, caKey, concurrency));
    } finally {
      await stopSim(sim);
    }
  }
  printTable('adcs-sim: certificates issued to the pooled MS-ICPR client (WebServer, P-256 CSRs, NTLM + PKT_PRIVACY)', rows);
  const file = writeResults('adcs-sim', rows);
  process.stdout.write(`results: ${file}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`adcs-sim bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
