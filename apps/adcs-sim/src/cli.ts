import { parseArgs } from 'node:util';
import { ConfigError, Secret } from '@enrollgate/platform';

export interface SimUser {
  name: string;
  /** A password, or the NT hash (16 bytes) for `NAME:nt:HEX` entries. */
  password?: Secret;
  ntHash?: Buffer;
}

export type SimFault = { kind: 'hang' } | { kind: 'drop' } | { kind: 'rpc-fault' } | { kind: 'delay'; ms: number };

export interface SimOptions {
  listen: { host: string; port: number };
  adminListen: { host: string; port: number };
  stateDir: string;
  domain: string;
  caName: string;
  users: SimUser[];
  templatesFile?: string;
  caKey: 'rsa2048' | 'p256';
  intermediate: boolean;
  faults: SimFault[];
  failFirst: number;
  /** Offer SMB3 encryption (off by default so captures stay decodable). */
  encrypt: boolean;
  /** Accept Kerberos (SPNEGO and RPC auth type 16) with the service keys in this keytab (`--keytab`). */
  keytab?: string;
  /** Only accept tickets for these services (`--kerberos-service host/NAME`); default: every keytab principal. */
  kerberosServices: string[];
  logLevel: string;
}

export const SIM_USAGE = `usage: adcs-sim --listen HOST:PORT --state-dir DIR [--domain D] [--ca-name NAME]
               --user NAME:PASSWORD [--user NAME:nt:HEXHASH]... [--templates FILE]
               [--admin-listen HOST:PORT] [--ca-key rsa2048|p256] [--intermediate]
               [--fault hang|drop|rpc-fault|delay=2s]... [--fail-first N] [--encrypt] [--log-level L]
               [--keytab FILE [--kerberos-service host/NAME]...]`;

function parseHostPort(key: string, value: string, problems: string[]): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  if (!m || Number(m[3]) > 65535) {
    problems.push(`--${key}: expected HOST:PORT, got "${value}"`);
    return { host: '127.0.0.1', port: 0 };
  }
  return { host: (m[1] ?? m[2]) as string, port: Number(m[3]) };
}

function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60000 : n * 1000;
}

/** Parses and validates the simulator's command line; every problem is reported at once. */
export function parseSimArgs(argv: string[]): SimOptions {
  const problems: string[] = [];
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        listen: { type: 'string', default: '127.0.0.1:4445' },
        'admin-listen': { type: 'string', default: '127.0.0.1:4446' },
        'state-dir': { type: 'string' },
        domain: { type: 'string', default: 'TEST' },
        'ca-name': { type: 'string', default: 'enrollgate-sim-CA' },
        user: { type: 'string', multiple: true, default: [] },
        templates: { type: 'string' },
        'ca-key': { type: 'string', default: 'rsa2048' },
        intermediate: { type: 'boolean', default: false },
        fault: { type: 'string', multiple: true, default: [] },
        'fail-first': { type: 'string', default: '0' },
        encrypt: { type: 'boolean', default: false },
        keytab: { type: 'string' },
        'kerberos-service': { type: 'string', multiple: true, default: [] },
        'log-level': { type: 'string', default: process.env.LOG_LEVEL ?? 'info' },
      },
    }));
  } catch (e) {
    throw new ConfigError('adcs-sim', [`${(e as Error).message}`, SIM_USAGE]);
  }
  const listen = parseHostPort('listen', values.listen as string, problems);
  const adminListen = parseHostPort('admin-listen', values['admin-listen'] as string, problems);
  const stateDir = values['state-dir'] as string | undefined;
  if (!stateDir) problems.push('--state-dir: missing; expected a directory for the CA key, certificate and request database');

  const users: SimUser[] = [];
  for (const entry of values.user as string[]) {
    const nt = /^([^:]+):nt:([0-9a-fA-F]{32})$/.exec(entry);
    const pw = /^([^:]+):(.+)$/.exec(entry);
    if (nt) users.push({ name: nt[1] as string, ntHash: Buffer.from(nt[2] as string, 'hex') });
    else if (pw && !entry.includes(':nt:')) users.push({ name: pw[1] as string, password: new Secret(pw[2] as string) });
    else problems.push(`--user: expected NAME:PASSWORD or NAME:nt:32-HEX-DIGITS (entry for "${entry.split(':')[0]}")`);
  }
  const keytab = values.keytab as string | undefined;
  if (keytab === '') problems.push('--keytab: must not be empty');
  const kerberosServices = values['kerberos-service'] as string[];
  for (const s of kerberosServices) {
    if (!/^[A-Za-z]+\/[^/@\s]+(@[^@\s]+)?$/.test(s)) problems.push(`--kerberos-service: expected SERVICE/HOST[@REALM] (e.g. host/ca.test.local), got "${s}"`);
  }
  if (kerberosServices.length > 0 && !keytab) problems.push('--kerberos-service: needs --keytab');
  if (users.length === 0 && !keytab)
    problems.push('--user: at least one NAME:PASSWORD is required (the account the worker logs on with), or --keytab for Kerberos only');

  const caKey = values['ca-key'] as string;
  if (caKey !== 'rsa2048' && caKey !== 'p256') problems.push(`--ca-key: expected rsa2048 or p256, got "${caKey}"`);

  const faults: SimFault[] = [];
  for (const f of values.fault as string[]) {
    if (f === 'hang' || f === 'drop' || f === 'rpc-fault') faults.push({ kind: f });
    else if (f.startsWith('delay=') && parseDuration(f.slice(6)) !== undefined) faults.push({ kind: 'delay', ms: parseDuration(f.slice(6)) as number });
    else problems.push(`--fault: expected hang, drop, rpc-fault or delay=DURATION (e.g. delay=2s), got "${f}"`);
  }
  const failFirst = Number(values['fail-first']);
  if (!Number.isInteger(failFirst) || failFirst < 0) problems.push(`--fail-first: expected a non-negative integer, got "${String(values['fail-first'])}"`);
  const domain = values.domain as string;
  const caName = values['ca-name'] as string;
  if (!domain) problems.push('--domain: must not be empty');
  if (!caName) problems.push('--ca-name: must not be empty');

  if (problems.length) throw new ConfigError('adcs-sim', [...problems, SIM_USAGE]);
  return {
    listen,
    adminListen,
    stateDir: stateDir as string,
    domain,
    caName,
    users,
    templatesFile: values.templates as string | undefined,
    caKey: caKey as 'rsa2048' | 'p256',
    intermediate: values.intermediate as boolean,
    faults,
    failFirst,
    encrypt: values.encrypt as boolean,
    ...(keytab ? { keytab } : {}),
    kerberosServices,
    logLevel: values['log-level'] as string,
  };
}
