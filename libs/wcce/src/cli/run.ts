import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { certificatePem, decodePemFirst, readPkcs7Chain } from '@enrollgate/pki';
import { IcprPool, type CaTarget } from '../client/icpr-pool.js';
import { WcceError, hex32, isWcceError } from '../errors.js';
import type { RequestAttributes } from '../icpr/attributes.js';
import type { IcprResult } from '../icpr/result.js';
import { NtlmProvider } from '../ntlm/provider.js';
import { locateKdcs } from '../kerberos/kdc-locator.js';
import { KerberosProvider } from '../kerberos/provider.js';
import type { KerberosCredentials } from '../kerberos/ticket-manager.js';
import type { SecurityProvider } from '../security/provider.js';
import { Smb2Dialect } from '../smb2/constants.js';

/** Exit codes of `wcce` (documented in the usage text and the README). */
export const ExitCode = { ISSUED: 0, USAGE: 1, PENDING: 2, DENIED: 3, AUTH: 4, TRANSPORT: 5 } as const;

export const USAGE = `usage:
  wcce request  --target HOST[:PORT] --domain D --user U (--password P | --hashes [LM:]NT) --ca NAME
                --template T --csr FILE [--attribute K:V]... --out FILE [--json]
  wcce retrieve --target HOST[:PORT] --domain D --user U (--password P | --hashes [LM:]NT) --ca NAME
                --request-id N --out FILE [--json]
options: --server-name NAME (SPN/NTLM target, default HOST)  --timeout SECONDS (connect and each
         exchange, default 5)  --dialect 2.0.2|2.1|3.0|3.0.2|3.1.1 (highest offered)
password: --password, or the WCCE_PASSWORD environment variable (never echoed or logged)
kerberos: -k/--kerberos (tickets for cifs/ and host/ of --server-name, which must be the CA's DNS
         name; realm = upper-cased --domain unless --user is user@REALM) with --password, --keytab FILE
         or --ccache FILE (default KRB5CCNAME); KDC from --dc-ip/--kdc HOST[:PORT] (repeatable), else
         DNS SRV _kerberos._tcp.REALM (--dns-server IP to ask a given resolver)
exit: 0 issued (certificate written: leaf then chain, PEM), 2 pending (request id printed),
      3 denied, 4 authentication error, 5 transport or timeout error, 1 usage error`;

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
}

class UsageError extends Error {}

const DIALECTS: Record<string, number> = {
  '2.0.2': Smb2Dialect.SMB202,
  '2.1': Smb2Dialect.SMB210,
  '3.0': Smb2Dialect.SMB300,
  '3.0.2': Smb2Dialect.SMB302,
  '3.1.1': Smb2Dialect.SMB311,
};

function parseTarget(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(text);
  if (!m) throw new UsageError(`--target: expected HOST or HOST:PORT, got "${text}"`);
  return { host: (m[1] ?? m[2]) as string, port: m[3] ? Number(m[3]) : 445 };
}

function parseHashes(text: string): Buffer {
  const nt = text.includes(':') ? text.slice(text.indexOf(':') + 1) : text;
  if (!/^[0-9a-fA-F]{32}$/.test(nt)) throw new UsageError('--hashes: expected [LM:]NT with a 32-hex-digit NT hash');
  return Buffer.from(nt, 'hex');
}

function parseAttributes(list: string[]): RequestAttributes {
  return list.map((entry) => {
    const i = entry.indexOf(':');
    if (i <= 0) throw new UsageError(`--attribute: expected NAME:VALUE, got "${entry}"`);
    return { name: entry.slice(0, i), value: entry.slice(i + 1) };
  });
}

/** Runs the CLI; returns the exit code. Separated from process handling so tests can drive it. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'request' && command !== 'retrieve') {
    io.stderr(USAGE + '\n');
    return command === '--help' || command === '-h' ? ExitCode.ISSUED : ExitCode.USAGE;
  }
  let pool: IcprPool | undefined;
  let json = false;
  try {
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        target: { type: 'string' },
        'server-name': { type: 'string' },
        domain: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        hashes: { type: 'string' },
        ca: { type: 'string' },
        template: { type: 'string' },
        csr: { type: 'string' },
        attribute: { type: 'string', multiple: true, default: [] },
        'request-id': { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '5' },
        dialect: { type: 'string' },
        kerberos: { type: 'boolean', short: 'k', default: false },
        keytab: { type: 'string' },
        ccache: { type: 'string' },
        'dc-ip': { type: 'string', multiple: true, default: [] },
        kdc: { type: 'string', multiple: true, default: [] },
        'dns-server': { type: 'string' },
      },
    });
    json = values.json as boolean;
    const need = (key: string, v: string | undefined): string => {
      if (!v) throw new UsageError(`--${key} is required`);
      return v;
    };
    const target = parseTarget(need('target', values.target));
    const domain = values.domain ?? '';
    const user = need('user', values.user);
    const caName = need('ca', values.ca);
    const out = need('out', values.out);
    const password = values.password ?? io.env['WCCE_PASSWORD'];
    const kerberos = values.kerberos as boolean;
    const ccache = values.ccache ?? (kerberos && !password && !values.keytab ? io.env['KRB5CCNAME'] : undefined);
    if (kerberos) {
      if (values.hashes) throw new UsageError('--hashes is NTLM only; with -k give --password, --keytab or --ccache');
      if (!password && !values.keytab && !ccache) throw new UsageError('-k needs --password (or WCCE_PASSWORD), --keytab, --ccache or KRB5CCNAME');
    } else {
      if (values.keytab || values.ccache || (values['dc-ip'] as string[]).length || (values.kdc as string[]).length)
        throw new UsageError('--keytab, --ccache, --dc-ip and --kdc need -k/--kerberos');
      if (!password && !values.hashes) throw new UsageError('give --password, --hashes or WCCE_PASSWORD');
    }
    const timeoutS = Number(values.timeout);
    if (!(timeoutS > 0)) throw new UsageError('--timeout: expected seconds > 0');
    let dialects: number[] | undefined;
    if (values.dialect) {
      const top = DIALECTS[values.dialect];
      if (top === undefined) throw new UsageError(`--dialect: expected one of ${Object.keys(DIALECTS).join(', ')}`);
      dialects = Object.values(DIALECTS).filter((d) => d <= top);
    }
    let provider: SecurityProvider;
    if (kerberos) {
      const realm = user.includes('@') ? user.slice(user.lastIndexOf('@') + 1).toUpperCase() : domain.toUpperCase();
      if (!realm) throw new UsageError('-k needs the realm: --domain test.local or --user user@TEST.LOCAL');
      const credentials: KerberosCredentials = {
        kind: 'kerberos',
        principal: user,
        realm,
        ...(password ? { password } : values.keytab ? { keytabPath: values.keytab } : { ccachePath: (ccache as string).replace(/^FILE:/, '') }),
      };
      const kdcs = await locateKdcs(realm, {
        domainControllers: [...(values['dc-ip'] as string[]), ...(values.kdc as string[])],
        ...(values['dns-server'] ? { dnsServer: values['dns-server'] } : {}),
        timeoutMs: timeoutS * 1000,
      });
      provider = new KerberosProvider(credentials, { kdcs, timeoutMs: timeoutS * 1000 });
    } else {
      provider = new NtlmProvider(
        values.hashes ? { kind: 'ntlm', domain, user, ntHash: parseHashes(values.hashes) } : { kind: 'ntlm', domain, user, password },
      );
    }
    pool = new IcprPool({
      provider,
      connectTimeoutMs: timeoutS * 1000,
      timeoutMs: timeoutS * 1000,
      callDeadlineMs: Math.max(30_000, timeoutS * 4000),
      dialects: dialects as Smb2Dialect[] | undefined,
    });
    const ca: CaTarget = { ...target, serverName: values['server-name'], caName };

    let result: IcprResult;
    if (command === 'request') {
      const csrText = await readFile(need('csr', values.csr));
      const csrDer = csrText.toString('latin1').includes('-----BEGIN') ? Buffer.from(decodePemFirst(csrText.toString('utf8'), 'CERTIFICATE REQUEST')) : csrText;
      result = await pool.submit(ca, { template: need('template', values.template), csrDer, attributes: parseAttributes(values.attribute as string[]) });
    } else {
      const id = Number(need('request-id', values['request-id']));
      if (!Number.isInteger(id) || id <= 0) throw new UsageError('--request-id: expected a positive integer');
      result = await pool.retrieve(ca, id);
    }

    if (result.status === 'pending') {
      report(
        io,
        json,
        { status: 'pending', requestId: result.requestId, message: result.message },
        `pending: request id ${result.requestId} (${result.message ?? 'Taken Under Submission'})`,
      );
      return ExitCode.PENDING;
    }
    const chain = result.pkcs7 ? safeChain(result.pkcs7, result.certificate) : [];
    const pem = [certificatePem(result.certificate), ...chain.map((c) => certificatePem(c))].join('');
    await writeFile(out, pem);
    report(
      io,
      json,
      { status: 'issued', requestId: result.requestId, out, chainLength: chain.length },
      `issued: request id ${result.requestId}, certificate and ${chain.length} chain certificate(s) written to ${out}`,
    );
    return ExitCode.ISSUED;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`wcce: ${e.message}\n${USAGE}\n`);
      return ExitCode.USAGE;
    }
    if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`wcce: ${e.message}\n${USAGE}\n`);
      return ExitCode.USAGE;
    }
    const code = exitCodeFor(e);
    const err = isWcceError(e) ? e : new WcceError('TRANSPORT', e instanceof Error ? e.message : String(e));
    const { hresult: hresultName, ...details } = err.details ?? {};
    report(
      io,
      json,
      {
        status: exitName(code),
        code: err.code,
        message: err.message,
        ...details,
        ...(err.status !== undefined ? { hresult: hex32(err.status) } : {}),
        ...(hresultName ? { hresultName } : {}),
      },
      `${exitName(code)}: ${err.message}`,
      true,
    );
    return code;
  } finally {
    await pool?.close();
  }
}

function safeChain(pkcs7: Buffer, leaf: Buffer): Uint8Array[] {
  try {
    return readPkcs7Chain(pkcs7, { leaf })
      .chain.slice(1)
      .map((c) => c.der);
  } catch {
    return [];
  }
}

function exitCodeFor(e: unknown): number {
  if (!isWcceError(e)) return e instanceof Error && 'code' in e && (e as NodeJS.ErrnoException).code === 'ENOENT' ? ExitCode.USAGE : ExitCode.TRANSPORT;
  switch (e.code) {
    case 'AUTH_FAILED':
      return ExitCode.AUTH;
    case 'CA_DENIED':
    case 'ACCESS_DENIED':
      return ExitCode.DENIED;
    case 'CONFIG':
      return ExitCode.USAGE;
    case 'CA_UNAVAILABLE':
    case 'TRANSPORT':
    case 'TIMEOUT':
    case 'SMB_STATUS':
    case 'RPC_FAULT':
    case 'PROTOCOL':
    case 'INTEGRITY':
    case 'UNSUPPORTED':
      return ExitCode.TRANSPORT;
  }
}

function exitName(code: number): string {
  return code === ExitCode.DENIED ? 'denied' : code === ExitCode.AUTH ? 'auth-error' : code === ExitCode.USAGE ? 'usage-error' : 'transport-error';
}

function report(io: CliIo, json: boolean, data: Record<string, unknown>, text: string, isError = false): void {
  if (json) io.stdout(JSON.stringify(data) + '\n');
  else (isError ? io.stderr : io.stdout)(text + '\n');
}
