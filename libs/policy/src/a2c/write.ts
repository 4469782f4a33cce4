import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { A2cImport, EnvEntry, ImportReportEntry } from './import.js';

export const IMPORT_FILES = {
  workerEnv: 'wcce-worker.env',
  acmeEnv: 'acme-api.env',
  policy: 'policy.json',
  pools: 'wcce-pools.json',
  password: 'wcce-password',
  report: 'import-report.txt',
} as const;

/**
 * An env-file value that Docker Compose (`env_file`), systemd (`EnvironmentFile`) and a shell
 * (`set -a; . file`) all read the same: bare when plain, else in single quotes (none of the
 * three expands anything inside them); a value with a single quote goes in double quotes.
 */
export function envValue(value: string): string {
  if (/^[A-Za-z0-9_./:@,+-]*$/.test(value)) return value;
  if (!value.includes("'")) return `'${value}'`;
  return `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

export function formatEnvFile(title: string, entries: readonly EnvEntry[]): string {
  const lines = [`# ${title}`, '# written by enrollgate-import-a2c from acme_srv.cfg; each line names the option it came from', ''];
  for (const e of entries) lines.push(`# ${e.from}`, `${e.key}=${envValue(e.value)}`);
  return `${lines.join('\n')}\n`;
}

/** Reads back what formatEnvFile writes (bare, '…' or "…" values; comments skipped), as Compose, systemd and sh would. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    const raw = m[2] as string;
    out[m[1] as string] = raw.startsWith("'") ? raw.slice(1, -1) : raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return out;
}

const STATUS_TITLE: Record<ImportReportEntry['status'], string> = {
  unmapped: 'Not mapped',
  mapped: 'Mapped',
  default: 'Nothing to do (enrollgate behaves this way already)',
};

/** The report: problems first, then every option by status. Never a secret value. */
export function formatImportReport(result: A2cImport, source: string): string {
  const lines = [`acme_srv.cfg import report for ${source}`, ''];
  if (result.problems.length) {
    lines.push(`Problems (${result.problems.length}) — fix these before starting:`);
    for (const p of result.problems) lines.push(`  - ${p}`);
    lines.push('');
  }
  for (const status of ['unmapped', 'mapped', 'default'] as const) {
    const entries = result.report.filter((e) => e.status === status);
    if (!entries.length) continue;
    lines.push(`${STATUS_TITLE[status]} (${entries.length}):`);
    for (const e of entries) {
      const where = `[${e.section}] ${e.key} (line ${e.line})`;
      lines.push(`  - ${where}${e.target ? ` → ${e.target}` : ''}${e.reason ? `: ${e.reason}` : ''}`);
    }
    lines.push('');
  }
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

/** Writes the files of an import into `dir` (created if needed). The password file gets mode 0600. */
export function writeA2cImport(result: A2cImport, dir: string, source: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const write = (name: string, content: string, mode = 0o644) => {
    const path = join(dir, name);
    // an existing file keeps its old mode on write: narrow it first, so a secret is never written into a wider file
    if (existsSync(path)) chmodSync(path, mode);
    writeFileSync(path, content, { mode });
    chmodSync(path, mode); // the umask may have narrowed a new file's mode
    written.push(path);
  };
  if (result.password) write(IMPORT_FILES.password, `${result.password.reveal()}\n`, 0o600);
  write(IMPORT_FILES.workerEnv, formatEnvFile('wcce-worker', result.workerEnv));
  write(IMPORT_FILES.acmeEnv, formatEnvFile('acme-api', result.acmeEnv));
  write(IMPORT_FILES.policy, `${JSON.stringify(result.policy, null, 2)}\n`);
  if (result.pools) write(IMPORT_FILES.pools, `${JSON.stringify(result.pools, null, 2)}\n`);
  write(IMPORT_FILES.report, formatImportReport(result, source));
  return written;
}
