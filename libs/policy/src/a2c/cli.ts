import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { importA2cConfig } from './import.js';
import { IniParseError, parseIni } from './ini.js';
import { IMPORT_FILES, formatImportReport, writeA2cImport } from './write.js';

export const USAGE = `usage: enrollgate-import-a2c ACME_SRV_CFG [--out DIR] [--public-url URL]

Reads acme2certifier's acme_srv.cfg ([CAhandler] of mswcce_ca_handler.py, [Order], [EABhandler],
[Nonce], [Certificate], [Challenge], [Directory], …) and writes into DIR (default ./enrollgate-config):
  ${IMPORT_FILES.workerEnv}   WCCE_* for wcce-worker
  ${IMPORT_FILES.acmeEnv}     ACME_* for acme-api
  ${IMPORT_FILES.policy}       allow-lists, templates, header_info_list, profiles, EAB key file
  ${IMPORT_FILES.password}     [CAhandler] password, mode 0600 (referenced by WCCE_PASSWORD_FILE)
  ${IMPORT_FILES.pools}    when host/user/password came from *_variable options
  ${IMPORT_FILES.report}  every option: mapped, nothing to do, or not mapped and why
--public-url: the origin acme2certifier was reached at (url_prefix is a path below it).
Exit status: 0 written, 1 the file cannot be read or parsed, 2 usage.`;

/** `https://host[:port]` and nothing more: url_prefix supplies the path. */
function isOrigin(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.pathname === '/' && !u.search && !u.hash && !text.endsWith('?') && !text.endsWith('#');
  } catch {
    return false;
  }
}

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  cwd?: string;
}

export function runImportCli(argv: readonly string[], io: CliIo): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { out: { type: 'string' }, 'public-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const [source, ...extra] = positionals;
  if (source === undefined || extra.length > 0) {
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  const publicUrl = values['public-url'];
  if (publicUrl !== undefined) {
    if (!isOrigin(publicUrl)) {
      io.stderr(`--public-url: expected an origin like https://acme.example.com, got "${publicUrl}"\n`);
      return 2;
    }
  }
  const cwd = io.cwd ?? process.cwd();
  const dir = resolve(cwd, values.out ?? 'enrollgate-config');
  let text: string;
  try {
    text = readFileSync(resolve(cwd, source), 'utf8');
  } catch (e) {
    io.stderr(`cannot read ${source} (${(e as NodeJS.ErrnoException).code ?? 'error'})\n`);
    return 1;
  }
  let doc;
  try {
    doc = parseIni(text);
  } catch (e) {
    if (e instanceof IniParseError) {
      io.stderr(`${source}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const result = importA2cConfig(doc, {
    ...(publicUrl !== undefined ? { publicUrl } : {}),
    paths: { policy: resolve(dir, IMPORT_FILES.policy), password: resolve(dir, IMPORT_FILES.password), pools: resolve(dir, IMPORT_FILES.pools) },
  });
  const written = writeA2cImport(result, dir, source);
  io.stdout(formatImportReport(result, source));
  io.stdout(`\nWritten:\n${written.map((p) => `  ${p}`).join('\n')}\n`);
  return 0;
}
