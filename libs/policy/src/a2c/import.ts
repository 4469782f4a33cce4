import { isIP } from 'node:net';
import { inspect } from 'node:util';
import { parsePolicyConfig, PolicyConfigError, type PolicyFile } from '../config/policy-config.js';
import { iniBoolean, type IniDocument, type IniOption } from './ini.js';

/**
 * acme_srv.cfg → enrollgate configuration. Option meanings follow acme2certifier's docs
 * (docs/acme_srv.md, docs/mswcce.md, docs/eab_profiling.md, docs/acme_profiling.md,
 * docs/header_info.md) and code (acme_srv/order.py, account.py, nonce.py, challenge.py,
 * directory.py; examples/ca_handler/mswcce_ca_handler.py). Each option of the file ends up in
 * the report as `mapped` (and where to), `default` (its value is what enrollgate does anyway),
 * or `unmapped` (and why).
 */

export type ImportStatus = 'mapped' | 'default' | 'unmapped';

export interface ImportReportEntry {
  section: string;
  key: string;
  line: number;
  status: ImportStatus;
  /** where it went (`wcce-worker.env WCCE_HOST`, `policy.json allowed_domainlist`) */
  target?: string;
  reason?: string;
}

export interface EnvEntry {
  key: string;
  value: string;
  /** `[CAhandler] host` */
  from: string;
}

/** A secret taken from the file: never printed (JSON, inspect and String() all say "[redacted]"). */
export class ImportedSecret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return 'ImportedSecret([redacted])';
  }
}

export interface PoolsFile {
  pools: { default: Record<string, string | number | boolean> };
}

export interface A2cImport {
  workerEnv: EnvEntry[];
  acmeEnv: EnvEntry[];
  /** policy.json (see policyFileSchema) */
  policy: PolicyFile;
  /** wcce-pools.json, when the CA handler took host/user/password from environment variables */
  pools?: PoolsFile;
  /** `[CAhandler] password`: goes to a file of its own (mode 0600), referenced by WCCE_PASSWORD_FILE */
  password?: ImportedSecret;
  report: ImportReportEntry[];
  /** what keeps the result from working (a missing host, a bad JSON value); the files are still written */
  problems: string[];
}

export interface ImportOptions {
  /** the public origin acme2certifier ran under (`https://acme.example.com`): url_prefix is a path below it */
  publicUrl?: string;
  /** absolute paths the written files will have, so env files can reference them */
  paths: { policy: string; password: string; pools: string };
}

/** The worker's WCCE_HOST syntax (apps/wcce-worker/src/config.ts). */
const HOST_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;
const CA_HANDLER_FILE = /(^|\/)mswcce_ca_handler\.py$/;
const EAB_HANDLERS: Record<string, string> = {
  'kid_profile_handler.py': 'key profiles (hmac + cahandler/order sections), JSON or YAML',
  'json_handler.py': 'flat {"kid": "hmac"} JSON',
};

const NOT_KERBEROS =
  'not needed: the worker gets and renews tickets itself in TypeScript (no kinit, no impacket backend); *_variable forms: give the value (WCCE_KRB5_*) instead';

/** Why whole sections have no counterpart. */
const SECTION_REASONS: Record<string, string> = {
  Account: 'account options (contact/ToS checks, ECC-only account keys) have no enrollgate setting',
  DBhandler: 'enrollgate keeps state in PostgreSQL or SQLite: set DATABASE_URL',
  Helper: 'logs are JSON (pino); set LOG_LEVEL',
  Hooks: 'enrollgate runs no pre/post enrollment hooks',
  Message: 'JWS signatures are always checked',
};

class Importer {
  readonly out: A2cImport = { workerEnv: [], acmeEnv: [], policy: {}, report: [], problems: [] };
  private readonly done = new Set<IniOption>();

  constructor(
    readonly doc: IniDocument,
    readonly options: ImportOptions,
  ) {}

  private entry(o: IniOption, status: ImportStatus, target?: string, reason?: string): void {
    this.done.add(o);
    this.out.report.push({ section: o.section, key: o.key, line: o.line, status, ...(target ? { target } : {}), ...(reason ? { reason } : {}) });
  }
  mapped(o: IniOption, target: string, reason?: string): void {
    this.entry(o, 'mapped', target, reason);
  }
  unmapped(o: IniOption, reason: string): void {
    this.entry(o, 'unmapped', undefined, reason);
  }
  asDefault(o: IniOption, reason: string): void {
    this.entry(o, 'default', undefined, reason);
  }
  isDone(o: IniOption): boolean {
    return this.done.has(o);
  }

  worker(o: IniOption, key: string, value: string): void {
    this.out.workerEnv.push({ key, value, from: `[${o.section}] ${o.key}` });
    this.mapped(o, `wcce-worker.env ${key}`);
  }
  acme(o: IniOption, key: string, value: string, reason?: string): void {
    this.out.acmeEnv.push({ key, value, from: `[${o.section}] ${o.key}` });
    this.mapped(o, `acme-api.env ${key}`, reason);
  }
  policy<K extends keyof PolicyFile>(o: IniOption, key: K, value: PolicyFile[K]): void {
    this.out.policy[key] = value;
    this.mapped(o, `policy.json ${key}`);
  }

  /** json.loads of a list of strings, as acme2certifier does; a bad value is reported, not guessed at. */
  jsonStrings(o: IniOption): string[] | undefined {
    try {
      const v: unknown = JSON.parse(o.value);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch {
      /* reported below */
    }
    this.unmapped(o, 'expected a JSON list of strings (acme2certifier parses it with json.loads and would ignore it too)');
    this.out.problems.push(`[${o.section}] ${o.key} (line ${o.line}) is not a JSON list of strings`);
    return undefined;
  }

  positiveInt(o: IniOption): number | undefined {
    const n = /^\s*\d+\s*$/.test(o.value) ? Number(o.value) : NaN;
    if (Number.isSafeInteger(n) && n > 0) return n;
    this.unmapped(o, `expected a whole number above 0, got "${o.value}"`);
    return undefined;
  }

  /** A boolean option enrollgate does not offer: false is what enrollgate does; true cannot be honoured. */
  offOnly(o: IniOption, whyNot: string): void {
    const b = iniBoolean(o.value);
    if (b === false) this.asDefault(o, `${o.value.trim()}: ${whyNot}`);
    else this.unmapped(o, whyNot);
  }

  flag(o: IniOption): boolean | undefined {
    const b = iniBoolean(o.value);
    if (b === undefined) this.unmapped(o, `expected True or False, got "${o.value}"`);
    return b;
  }
}

/** Maps an acme_srv.cfg (parsed with parseIni) to enrollgate configuration. Pure: the caller writes the files. */
export function importA2cConfig(doc: IniDocument, options: ImportOptions): A2cImport {
  const im = new Importer(doc, options);
  // acme-api reads the order policy, templates and EAB settings from policy.json (and nothing else does)
  im.out.acmeEnv.push({ key: 'ACME_POLICY_FILE', value: options.paths.policy, from: 'policy.json, written by this import' });
  caHandler(im);
  order(im);
  eabHandler(im);
  nonce(im);
  certificate(im);
  challenge(im);
  directory(im);
  defaults(im);
  authorization(im);
  renewalInfo(im);
  for (const o of doc.options) {
    if (im.isDone(o)) continue;
    im.unmapped(o, SECTION_REASONS[o.section] ?? `not an acme2certifier option enrollgate knows in [${o.section}]`);
  }
  // the written policy must load: the same validation acme-api and scep-api will run
  try {
    parsePolicyConfig({ ...im.out.policy, ...(im.out.policy.eab_profiling && !im.out.policy.eab_key_file ? { eab_key_file: 'missing' } : {}) }, 'policy.json');
  } catch (e) {
    if (e instanceof PolicyConfigError) im.out.problems.push(...e.problems.map((p) => `policy.json ${p}`));
    else throw e;
  }
  im.out.report.sort((a, b) => a.line - b.line);
  return im.out;
}

function caHandler(im: Importer): void {
  const s = 'CAhandler';
  const opt = (k: string) => im.doc.option(s, k);
  const handler = opt('handler_file');
  if (handler) {
    if (CA_HANDLER_FILE.test(handler.value.trim())) im.mapped(handler, 'wcce-worker (the MS-WCCE handler it replaces)');
    else {
      im.unmapped(handler, `"${handler.value}" is not mswcce_ca_handler.py: only MS-WCCE [CAhandler] options are mapped`);
      im.out.problems.push(`[CAhandler] handler_file is ${handler.value}; enrollgate replaces the mswcce handler only`);
    }
  }

  // host / user / password: a direct value beats the *_variable one (mswcce_ca_handler._config_credential_item_load)
  const viaVariable: Record<string, string> = {};
  const pool: Record<string, string | number | boolean> = {};
  for (const name of ['host', 'user', 'password'] as const) {
    const direct = opt(name);
    const variable = opt(`${name}_variable`);
    if (variable && direct) im.unmapped(variable, `${name} is set too, and a direct value wins in acme2certifier`);
    else if (variable) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable.value)) im.unmapped(variable, `"${variable.value}" is not an environment variable name`);
      else {
        viaVariable[name] = variable.value;
        pool[`${name}_variable`] = variable.value;
        im.mapped(variable, `wcce-pools.json pools.default.${name}_variable`, `the worker reads $${variable.value} at start-up, as acme2certifier did`);
      }
    }
  }
  const usePools = Object.keys(viaVariable).length > 0;
  const host = opt('host');
  const hosts = host?.value.split(',').map((h) => h.trim());
  if (host && hosts) {
    for (const h of hosts) if (h !== '' && !HOST_RE.test(h)) im.out.problems.push(`[CAhandler] host "${h}" is not HOST or HOST:PORT`);
    if (hosts.some((h) => h === '')) im.unmapped(host, 'a comma list with an empty entry');
    else if (usePools) {
      pool['host'] = hosts.join(',');
      im.mapped(host, 'wcce-pools.json pools.default.host');
    } else im.worker(host, 'WCCE_HOST', hosts.join(','));
  }
  const user = opt('user');
  if (user) {
    if (usePools) {
      pool['user'] = user.value;
      im.mapped(user, 'wcce-pools.json pools.default.user');
    } else im.worker(user, 'WCCE_USER', user.value);
  }
  const password = opt('password');
  if (password) {
    im.out.password = new ImportedSecret(password.value);
    im.out.workerEnv.push({ key: 'WCCE_PASSWORD_FILE', value: im.options.paths.password, from: '[CAhandler] password' });
    im.mapped(password, `wcce-worker.env WCCE_PASSWORD_FILE (the password itself is in ${im.options.paths.password}, mode 0600)`);
  }
  for (const [name, key] of [
    ['ca_name', 'WCCE_CA_NAME'],
    ['ca_bundle', 'WCCE_CA_BUNDLE'],
    ['target_domain', 'WCCE_TARGET_DOMAIN'],
  ] as const) {
    const o = opt(name);
    if (!o) continue;
    const value =
      name === 'target_domain'
        ? o.value.trim()
        : o.value
            .split(',')
            .map((v) => v.trim())
            .join(',');
    if (usePools) {
      pool[name] = value;
      im.mapped(o, `wcce-pools.json pools.default.${name}`);
    } else im.worker(o, key, value);
  }
  if (hosts && opt('ca_name')) {
    const names = (opt('ca_name')?.value ?? '').split(',');
    if (names.length !== 1 && names.length !== hosts.length) {
      im.out.problems.push(
        `[CAhandler] ca_name has ${names.length} entries and host ${hosts.length}: the worker pairs them by index (acme2certifier drew one index below the shorter length)`,
      );
    }
  }
  const timeout = opt('timeout');
  if (timeout) {
    const n = im.positiveInt(timeout);
    if (n !== undefined) {
      if (usePools) pool['timeout'] = n;
      im.worker(timeout, 'WCCE_TIMEOUT', String(n));
    }
  }
  const template = opt('template');
  if (template) {
    im.policy(template, 'template', template.value.trim());
  }
  const kerberos = opt('use_kerberos');
  if (kerberos) {
    const b = im.flag(kerberos);
    if (b !== undefined) {
      if (usePools) pool['use_kerberos'] = b;
      im.worker(kerberos, 'WCCE_USE_KERBEROS', String(b));
    }
  }
  const kerberosKeys: [string, string][] = [
    ['krb5_principal', 'WCCE_KRB5_PRINCIPAL'],
    ['krb5_keytab', 'WCCE_KRB5_KEYTAB'],
    ['krb5_cache', 'WCCE_KRB5_CACHE'],
    ['krb5_config', 'WCCE_KRB5_CONFIG'],
    ['domain_controller', 'WCCE_DOMAIN_CONTROLLER'],
    ['dns_server', 'WCCE_DNS_SERVER'],
  ];
  for (const o of im.doc.section(s)) {
    const known = kerberosKeys.find(([name]) => name === o.key);
    if (known) {
      const value = o.value.trim();
      if (usePools) pool[o.key] = value;
      im.worker(o, known[1], value);
    } else if (/^krb5_/.test(o.key)) im.unmapped(o, NOT_KERBEROS);
  }
  const log = opt('enrollment_config_log');
  if (log) {
    const b = im.flag(log);
    if (b !== undefined) im.worker(log, 'WCCE_ENROLLMENT_CONFIG_LOG', String(b));
  }
  const skip = opt('enrollment_config_log_skip_list');
  if (skip) {
    const list = im.jsonStrings(skip);
    if (list) im.worker(skip, 'WCCE_ENROLLMENT_CONFIG_LOG_SKIP_LIST', JSON.stringify(list));
  }
  const profilesSync = opt('profiles_sync');
  if (profilesSync) im.offOnly(profilesSync, 'profiles come from [Order] profiles only; nothing syncs them from the CA');
  // deprecated here, read when the new home has none (helpers/config.py)
  const domains = opt('allowed_domainlist');
  if (domains) {
    if (im.doc.option('Order', 'allowed_domainlist'))
      im.unmapped(domains, 'deprecated here; [Order] allowed_domainlist is set and wins (as in acme2certifier)');
    else {
      const list = im.jsonStrings(domains);
      if (list) im.policy(domains, 'allowed_domainlist', list);
    }
  }
  const profiling = opt('eab_profiling');
  if (profiling) {
    if (im.doc.option('EABhandler', 'eab_profiling')) im.unmapped(profiling, 'deprecated here; [EABhandler] eab_profiling is set and wins');
    else {
      const b = im.flag(profiling);
      if (b !== undefined) im.policy(profiling, 'eab_profiling', b);
    }
  }

  if (usePools) {
    im.out.pools = { pools: { default: pool } };
    im.out.workerEnv.push({ key: 'WCCE_POOLS_FILE', value: im.options.paths.pools, from: '[CAhandler] *_variable' });
    if (!('ca_name' in pool)) im.out.problems.push('[CAhandler] ca_name is missing (the worker needs it for pools.default)');
  }
  // mswcce_ca_handler.handler_check: what an enrollment needs
  for (const need of ['host', 'user', 'password', 'ca_name', 'target_domain', 'template'] as const) {
    if (opt(need) === undefined && viaVariable[need] === undefined)
      im.out.problems.push(`[CAhandler] ${need} is missing (acme2certifier: "${need} parameter is missing in config file")`);
  }
}

function order(im: Importer): void {
  const s = 'Order';
  for (const o of im.doc.section(s)) {
    switch (o.key) {
      case 'allowed_domainlist':
      case 'allowed_iplist':
      case 'header_info_list': {
        const list = im.jsonStrings(o);
        if (list) im.policy(o, o.key, list);
        break;
      }
      case 'identifier_limit': {
        const n = im.positiveInt(o);
        if (n !== undefined) im.policy(o, 'identifier_limit', n);
        break;
      }
      case 'wildcard_certificate_disable':
      case 'profiles_check_disable': {
        const b = im.flag(o);
        if (b !== undefined) im.policy(o, o.key, b);
        break;
      }
      case 'profiles':
        profiles(im, o);
        break;
      case 'validity': {
        const n = im.positiveInt(o);
        if (n !== undefined) im.acme(o, 'ACME_ORDER_LIFETIME_SECONDS', String(n));
        break;
      }
      case 'retry_after_timeout': {
        const n = im.positiveInt(o);
        if (n !== undefined)
          im.acme(
            o,
            'ACME_RETRY_AFTER_SECONDS',
            String(n),
            'enrollgate answers finalize at once with processing + Retry-After and keeps retrying the CA from the queue',
          );
        break;
      }
      case 'expiry_check_disable':
        im.offOnly(o, 'Orders always expire (ACME_ORDER_LIFETIME_SECONDS)');
        break;
      case 'idempotent_finalize':
        im.offOnly(o, 'Finalize is RFC 8555 only: clients poll the order URL');
        break;
      case 'tnauthlist_support':
        im.offOnly(o, 'TNAuthList identifiers are not supported');
        break;
      case 'email_identifier_support':
      case 'email_identifier_rewrite':
        im.offOnly(o, 'Email identifiers (RFC 8823) are not supported');
        break;
    }
  }
}

function profiles(im: Importer, o: IniOption): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(o.value);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
    im.unmapped(o, 'expected a JSON object {"name": "description or URL"}');
    im.out.problems.push(`[Order] profiles (line ${o.line}) is not a JSON object of strings`);
    return;
  }
  // the profile name is the template (acme2certifier); policy.json keeps that form
  im.policy(o, 'profiles', parsed as Record<string, string>);
}

function eabHandler(im: Importer): void {
  const s = 'EABhandler';
  if (!im.doc.hasSection(s)) return;
  const file = im.doc.option(s, 'eab_handler_file');
  // acme2certifier: an [EABhandler] section turns the EAB check on; eab_strict_mode defaults to True
  const strict = im.doc.option(s, 'eab_strict_mode');
  const strictValue = strict ? im.flag(strict) : true;
  if (strict && strictValue !== undefined) im.policy(strict, 'eab_strict_mode', strictValue);
  else if (!strict) im.out.policy.eab_strict_mode = true;
  for (const o of im.doc.section(s)) {
    switch (o.key) {
      case 'eab_handler_file': {
        const base = o.value.trim().split('/').pop() ?? '';
        const format = EAB_HANDLERS[base];
        if (format) im.mapped(o, 'policy.json (the format of eab_key_file)', `its key file (${format}) is read as is`);
        else {
          im.unmapped(o, `"${o.value}" is not kid_profile_handler.py or json_handler.py: convert its keys to a JSON key file ({"kid": {"hmac": "…"}})`);
          im.out.problems.push(`[EABhandler] ${o.value}: its key store cannot be read; EAB keys must be moved to a JSON key file`);
        }
        break;
      }
      case 'key_file':
        if (file && !EAB_HANDLERS[file.value.trim().split('/').pop() ?? '']) im.unmapped(o, 'the EAB handler that reads it is not supported');
        else {
          im.policy(o, 'eab_key_file', o.value.trim());
          if (!o.value.trim().startsWith('/'))
            im.out.problems.push(`[EABhandler] key_file "${o.value.trim()}" is relative (to acme2certifier's directory): make it absolute in policy.json`);
        }
        break;
      case 'eab_profiling': {
        const b = im.flag(o);
        if (b !== undefined) im.policy(o, 'eab_profiling', b);
        break;
      }
      case 'eabkid_check_disable':
        im.offOnly(o, "The account's kid is fixed at newAccount; nothing re-checks it per request");
        break;
      case 'invalid_eabkid_deactivate':
        im.offOnly(o, 'Accounts of a kid removed from the key file are not deactivated');
        break;
    }
  }
  if (!file) im.out.problems.push('[EABhandler] has no eab_handler_file: acme2certifier would require EAB without any key');
}

function nonce(im: Importer): void {
  for (const o of im.doc.section('Nonce')) {
    if (o.key === 'validity') {
      const n = im.positiveInt(o);
      if (n !== undefined) im.acme(o, 'ACME_NONCE_TTL_SECONDS', String(n));
    } else if (o.key === 'nonce_check_disable') im.offOnly(o, 'Nonces are always checked (replay protection, RFC 8555 §6.5)');
  }
}

function certificate(im: Importer): void {
  for (const o of im.doc.section('Certificate')) {
    switch (o.key) {
      case 'enrollment_timeout': {
        const n = im.positiveInt(o);
        if (n !== undefined) im.acme(o, 'ACME_FINALIZE_WAIT_MS', String(n * 1000), 'how long finalize waits for the CA before answering processing');
        break;
      }
      case 'cert_reusage_timeframe':
        if (/^\s*0\s*$/.test(o.value)) im.asDefault(o, '0: every finalize enrolls a new certificate, as here');
        else im.unmapped(o, 'certificates are not reused for a resent CSR: every finalize enrolls');
        break;
      case 'cert_operations_log':
        im.offOnly(o, 'There is no separate operations log: acme-api and wcce-worker log every enrollment as JSON');
        break;
      case 'revocation_reason_check_disable':
        im.offOnly(o, 'Revocation reasons are always checked');
        break;
    }
  }
}

function dnsServers(im: Importer, o: IniOption): void {
  const list = im.jsonStrings(o);
  if (!list) return;
  for (const server of list) if (isIP(server) === 0) im.out.problems.push(`[${o.section}] dns_server_list: "${server}" is not an IP address`);
  im.acme(o, 'ACME_DNS_SERVERS', list.join(','));
}

function challenge(im: Importer): void {
  for (const o of im.doc.section('Challenge')) {
    switch (o.key) {
      case 'challenge_validation_timeout': {
        const n = im.positiveInt(o);
        if (n !== undefined) im.acme(o, 'ACME_VALIDATION_TIMEOUT_SECONDS', String(n));
        break;
      }
      case 'dns_server_list':
        if (im.doc.option('DEFAULT', 'dns_server_list')) im.unmapped(o, 'deprecated here; [DEFAULT] dns_server_list is set and wins');
        else dnsServers(im, o);
        break;
      case 'dns_validation_pause_timer': {
        const n = Number(o.value);
        if (Number.isFinite(n) && n > 0)
          im.acme(o, 'ACME_VALIDATION_BACKOFF_MS', String(Math.max(1, Math.round(n * 1000))), 'the pause between validation attempts');
        else im.unmapped(o, `expected seconds above 0, got "${o.value}"`);
        break;
      }
      case 'challenge_validation_disable':
        im.offOnly(o, 'Challenges are always validated');
        break;
      case 'forward_address_check':
      case 'reverse_address_check':
        im.offOnly(o, 'Address checks replace validation only when validation is disabled, which enrollgate never does');
        break;
      case 'sectigo_sim':
      case 'dns_persist_01_support':
      case 'dns_persist_allow_policy_wildcard':
        im.offOnly(o, 'Only http-01, dns-01 and tls-alpn-01 are offered');
        break;
    }
  }
}

function directory(im: Importer): void {
  for (const o of im.doc.section('Directory')) {
    switch (o.key) {
      case 'url_prefix': {
        const prefix = o.value.trim().replace(/\/+$/, '');
        if (!im.options.publicUrl) {
          im.unmapped(o, `a path below the server's name; rerun with --public-url https://<acme host> to get ACME_PUBLIC_URL=<that>${prefix}`);
        } else im.acme(o, 'ACME_PUBLIC_URL', `${im.options.publicUrl.replace(/\/+$/, '')}${prefix}`);
        break;
      }
      case 'tos_url':
        im.acme(o, 'ACME_TOS_URL', o.value.trim());
        break;
      case 'home':
        im.acme(o, 'ACME_WEBSITE', o.value.trim());
        break;
      case 'caaidentities': {
        // directory.py: JSON list, or a bare name
        let list: string[] | undefined;
        try {
          const v: unknown = JSON.parse(o.value);
          if (Array.isArray(v) && v.every((x) => typeof x === 'string')) list = v as string[];
        } catch {
          if (!/[["]/.test(o.value)) list = [o.value.trim()];
        }
        if (list) im.acme(o, 'ACME_CAA_IDENTITIES', list.join(','));
        else im.unmapped(o, 'expected a JSON list of names');
        break;
      }
      case 'supress_version':
      case 'supress_product_information':
      case 'suppress_product_information':
        im.asDefault(o, 'the directory never shows product or version information');
        break;
      case 'db_check':
        im.offOnly(o, 'The directory carries no database status: the readiness probe checks the database');
        break;
    }
  }
}

function defaults(im: Importer): void {
  for (const o of im.doc.section('DEFAULT')) {
    switch (o.key) {
      case 'debug': {
        const b = im.flag(o);
        if (b === true) {
          im.out.workerEnv.push({ key: 'LOG_LEVEL', value: 'debug', from: '[DEFAULT] debug' });
          im.out.acmeEnv.push({ key: 'LOG_LEVEL', value: 'debug', from: '[DEFAULT] debug' });
          im.mapped(o, 'wcce-worker.env, acme-api.env LOG_LEVEL=debug');
        } else if (b === false) im.asDefault(o, 'False: LOG_LEVEL defaults to info');
        break;
      }
      case 'dns_server_list':
        dnsServers(im, o);
        break;
      case 'proxy_server_list':
        im.unmapped(o, 'the worker talks to AD CS over SMB (445), which no HTTP/SOCKS proxy carries');
        break;
      case 'async_mode':
        im.asDefault(o, 'enrollgate is always asynchronous (queue-based)');
        break;
      case 'dryrun':
      case 'dryrun_profile':
        im.offOnly(o, 'There is no dry-run mode');
        break;
    }
  }
}

function authorization(im: Importer): void {
  for (const o of im.doc.section('Authorization')) {
    if (o.key === 'validity') {
      const n = im.positiveInt(o);
      if (n !== undefined) im.acme(o, 'ACME_AUTHZ_LIFETIME_SECONDS', String(n));
    } else if (o.key === 'expiry_check_disable') im.offOnly(o, 'Authorizations always expire');
    else if (o.key.startsWith('prevalidated_')) im.unmapped(o, 'identifiers are never authorized without a challenge');
  }
}

function renewalInfo(im: Importer): void {
  for (const o of im.doc.section('Renewalinfo')) {
    if (o.key === 'retry_after_timeout') {
      const n = im.positiveInt(o);
      if (n !== undefined) im.acme(o, 'ACME_ARI_RETRY_AFTER_SECONDS', String(n));
    } else if (o.key === 'renewalthreshold_pctg')
      im.unmapped(o, 'ARI windows are set as ACME_ARI_WINDOW_START_PERCENT / ACME_ARI_WINDOW_END_PERCENT (percent of the lifetime)');
    else if (o.key === 'renewal_force') im.offOnly(o, 'Renewal is never forced');
  }
}
