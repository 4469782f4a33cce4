/**
 * Benchmark harness: every benchmark prints a table and writes JSON under bench/results/.
 * Benchmarks are never timed tests (README); CI runs them with --smoke (tiny counts) so they
 * never rot. CPU is measured with process.cpuUsage() for this process and /proc/PID/stat for
 * child processes (servers, peers) measured in the same run.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const SMOKE = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';

export interface BenchRow {
  [column: string]: string | number | undefined;
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const idx = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[idx] as number;
}

/** CPU seconds (user+system) used so far by a process, from /proc (Linux). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15 of proc(5))
  return ticks / 100; // USER_HZ is 100 on Linux x86_64
}

export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function fmt(v: string | number | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1);
  return v;
}

export function printTable(title: string, rows: BenchRow[]): void {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => fmt(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  process.stdout.write(`\n${title}${SMOKE ? ' (smoke run: tiny counts, figures not meaningful)' : ''}\n`);
  process.stdout.write(line(cols) + '\n' + line(widths.map((w) => '-'.repeat(w))) + '\n');
  for (const r of rows) process.stdout.write(line(cols.map((c) => fmt(r[c]))) + '\n');
}

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

export function writeResults(name: string, data: unknown): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}${SMOKE ? '.smoke' : ''}.json`);
  writeFileSync(file, JSON.stringify({ name, smoke: SMOKE, at: new Date().toISOString(), node: process.version, data }, null, 2) + '\n');
  return file;
}

/** A TCP port free on 127.0.0.1 right now, for the servers a benchmark starts. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePort(port));
    });
  });
}
