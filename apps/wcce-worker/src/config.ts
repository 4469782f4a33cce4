import { readFileSync } from 'node:fs';
import { booleanString, ConfigError, listenAddress, loadConfig, positiveInt, Secret, urlString, type Env } from '@enrollgate/platform';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const commaList = (what: string) =>
  z
    .string({ message: `expected ${what}` })
    .transform((v) => v.split(',').map((s) => s.trim()))
    .refine((list) => list.every((s) => s.length > 0), { message: `expected a comma-separated list of ${what} without empty entries` });

const HOST_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/**
 * wcce-worker configuration. The WCCE_* keys carry acme2certifier's [CAhandler] option names
 * (host, ca_name, ca_bundle, user, password, target_domain, timeout) and define the `default`
 * CA pool; comma lists in host, ca_name and ca_bundle are paired by index, as acme2certifier
 * does. More pools, and routing by template, come from WCCE_POOLS_FILE.
 */
export const workerConfigSchema = z
  .object({
    WORKER_LISTEN: listenAddress('127.0.0.1:4200'),
    WORKER_CONCURRENCY: positiveInt(8),
    /** Job lock (s): a crashed worker's job goes to another worker once its lock expires */
    WORKER_LOCK_SECONDS: positiveInt(30),
    REDIS_URL: urlString(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, _ or -')
      .default('enrollgate'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    /** acme2certifier `host`: CA host[:port], comma list */
    WCCE_HOST: commaList('CA hosts (HOST or HOST:PORT)').optional(),
    /** acme2certifier `ca_name`: the CA's common name (pwszAuthority), comma list paired with WCCE_HOST */
    WCCE_CA_NAME: commaList('CA names').optional(),
    /** acme2certifier `ca_bundle`: PEM chain file(s) used when the CA's PKCS#7 has no chain */
    WCCE_CA_BUNDLE: commaList('PEM file paths').optional(),
    /**
     * enrollgate extension: the CA's DNS name per host (paired by index), when `host` is an address
     * or a load-balancer name. Kerberos SPNs (host/NAME, cifs/NAME) and NTLM target names use it;
     * acme2certifier can only use `host` itself, so an IP address there rules out Kerberos.
     */
    WCCE_SERVER_NAME: commaList('CA DNS names').optional(),
    /** acme2certifier `target_domain`: the NTLM domain / Kerberos realm */
    WCCE_TARGET_DOMAIN: z.string().min(1).optional(),
    WCCE_USER: z.string().min(1).optional(),
    WCCE_PASSWORD: z
      .string()
      .optional()
      .transform((v) => (v ? new Secret(v) : undefined)),
    /** acme2certifier `use_kerberos`: authenticate with Kerberos (tickets for cifs/ and host/ of each CA host) */
    WCCE_USE_KERBEROS: booleanString(false),
    /** acme2certifier `krb5_principal`: default WCCE_USER@upper(WCCE_TARGET_DOMAIN) */
    WCCE_KRB5_PRINCIPAL: z.string().min(1).optional(),
    /** acme2certifier `krb5_keytab`: the principal's keys (instead of a password) */
    WCCE_KRB5_KEYTAB: z.string().min(1).optional(),
    /** acme2certifier `krb5_cache`: an MIT ccache file with a TGT (kinit), instead of a password */
    WCCE_KRB5_CACHE: z.string().min(1).optional(),
    /** acme2certifier `krb5_config`: a krb5.conf whose [realms] kdc entries name the KDCs */
    WCCE_KRB5_CONFIG: z.string().min(1).optional(),
    /** acme2certifier `domain_controller`: KDC host[:port], comma list (else krb5_config, else DNS SRV) */
    WCCE_DOMAIN_CONTROLLER: commaList('KDC hosts (HOST or HOST:PORT)').optional(),
    /** acme2certifier `dns_server`: the resolver asked for _kerberos._tcp.REALM */
    WCCE_DNS_SERVER: z.string().min(1).optional(),
    /** acme2certifier `timeout` (seconds): connect and each SMB exchange */
    WCCE_TIMEOUT: positiveInt(5),
    /** Upper bound for one CA call (connect + auth + bind + request), seconds */
    WCCE_CALL_DEADLINE: positiveInt(30),
    /** Concurrent associations per CA host */
    WCCE_MAX_CONNECTIONS_PER_HOST: positiveInt(8),
    /** Consecutive transport failures that open a host's circuit, and how long it stays open (s) */
    WCCE_CIRCUIT_FAILURES: positiveInt(3),
    WCCE_CIRCUIT_OPEN_SECONDS: positiveInt(30),
    /** More CA pools and template routes (YAML or JSON, acme2certifier option names per pool) */
    WCCE_POOLS_FILE: z.string().optional(),
    /** acme2certifier `enrollment_config_log` / `enrollment_config_log_skip_list` (JSON list) */
    WCCE_ENROLLMENT_CONFIG_LOG: booleanString(false),
    WCCE_ENROLLMENT_CONFIG_LOG_SKIP_LIST: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (!v) return [] as string[];
        try {
          const list: unknown = JSON.parse(v);
          if (Array.isArray(list) && list.every((x) => typeof x === 'string')) return list as string[];
        } catch {
          /* reported below */
        }
        ctx.addIssue({ code: 'custom', message: 'expected a JSON list of option names, e.g. ["ca_bundle"]' });
        return z.NEVER;
      }),
    /** Whole-job attempts before an enrollment fails */
    ENROLL_ATTEMPTS: positiveInt(5),
    /** An enrollment that cannot reach a CA for this long fails (hours) */
    ENROLL_MAX_AGE_HOURS: positiveInt(24),
    /** Pending (manager approval) requests: first retrieve after, the longest interval, and give up after */
    PENDING_POLL_INITIAL_SECONDS: positiveInt(30),
    PENDING_POLL_MAX_SECONDS: positiveInt(900),
    PENDING_MAX_AGE_HOURS: positiveInt(168),
  })
  .superRefine((cfg, ctx) => {
    if (!cfg.WCCE_POOLS_FILE) {
      const required = cfg.WCCE_USE_KERBEROS
        ? (['WCCE_HOST', 'WCCE_CA_NAME'] as const)
        : (['WCCE_HOST', 'WCCE_CA_NAME', 'WCCE_TARGET_DOMAIN', 'WCCE_USER', 'WCCE_PASSWORD'] as const);
      for (const key of required) {
        if (cfg[key] === undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: 'missing; required for the default CA pool (or define pools in WCCE_POOLS_FILE)' });
      }
      if (cfg.WCCE_USE_KERBEROS) {
        const problem = kerberosProblem({
          user: cfg.WCCE_USER,
          principal: cfg.WCCE_KRB5_PRINCIPAL,
          domain: cfg.WCCE_TARGET_DOMAIN,
          password: cfg.WCCE_PASSWORD,
          keytab: cfg.WCCE_KRB5_KEYTAB,
          ccache: cfg.WCCE_KRB5_CACHE,
        });
        if (problem) ctx.addIssue({ code: 'custom', path: [problem.key], message: problem.message });
      }
    }
    for (const dc of cfg.WCCE_DOMAIN_CONTROLLER ?? []) {
      if (!HOST_RE.test(dc)) ctx.addIssue({ code: 'custom', path: ['WCCE_DOMAIN_CONTROLLER'], message: `"${dc}" is not HOST or HOST:PORT` });
    }
    if (cfg.WCCE_HOST && cfg.WCCE_CA_NAME && cfg.WCCE_CA_NAME.length !== 1 && cfg.WCCE_CA_NAME.length !== cfg.WCCE_HOST.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['WCCE_CA_NAME'],
        message: `has ${cfg.WCCE_CA_NAME.length} entries; WCCE_HOST has ${cfg.WCCE_HOST.length} (pair them by index, or give one name for all)`,
      });
    }
    for (const h of cfg.WCCE_HOST ?? []) {
      if (!HOST_RE.test(h)) ctx.addIssue({ code: 'custom', path: ['WCCE_HOST'], message: `"${h}" is not HOST or HOST:PORT` });
    }
  });

export type WorkerConfig = z.output<typeof workerConfigSchema>;

/** What a Kerberos pool is missing, if anything: a principal (and realm) and one key source. */
function kerberosProblem(k: {
  user?: string | undefined;
  principal?: string | undefined;
  domain?: string | undefined;
  password?: Secret | undefined;
  keytab?: string | undefined;
  ccache?: string | undefined;
}): { key: string; message: string } | undefined {
  const principal = k.principal ?? k.user;
  if (!principal) return { key: 'WCCE_KRB5_PRINCIPAL', message: 'missing; use_kerberos needs krb5_principal (user@REALM) or user' };
  if (!principal.includes('@') && !k.domain)
    return { key: 'WCCE_TARGET_DOMAIN', message: 'missing; use_kerberos needs the realm: target_domain, or krb5_principal as user@REALM' };
  if (!k.password && !k.keytab && !k.ccache) return { key: 'WCCE_KRB5_KEYTAB', message: 'missing; use_kerberos needs krb5_keytab, krb5_cache or password' };
  return undefined;
}

/** Resolves a Kerberos pool's principal and realm (`krb5_principal`, else `user` @ upper(`target_domain`)). */
function kerberosPool(k: {
  user?: string | undefined;
  principal?: string | undefined;
  domain?: string | undefined;
  keytab?: string | undefined;
  ccache?: string | undefined;
  config?: string | undefined;
  domainControllers?: string[] | undefined;
  dnsServer?: string | undefined;
}): KerberosPoolConfig {
  const principal = (k.principal ?? k.user) as string;
  const at = principal.lastIndexOf('@');
  const realm = at >= 0 ? principal.slice(at + 1).toUpperCase() : (k.domain as string).toUpperCase();
  return {
    principal: at >= 0 ? principal.slice(0, at) : principal,
    realm,
    ...(k.keytab ? { keytab: k.keytab } : {}),
    ...(k.ccache ? { ccache: k.ccache } : {}),
    ...(k.config ? { krb5Config: k.config } : {}),
    domainControllers: k.domainControllers ?? [],
    ...(k.dnsServer ? { dnsServer: k.dnsServer } : {}),
  };
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  return loadConfig('wcce-worker', workerConfigSchema, env);
}

/** acme2certifier's Kerberos options for one pool, resolved. */
export interface KerberosPoolConfig {
  /** Principal name without the realm (`krb5_principal` or `user`). */
  principal: string;
  realm: string;
  keytab?: string;
  ccache?: string;
  krb5Config?: string;
  /** `domain_controller` entries (HOST or HOST:PORT); empty = krb5_config, then DNS SRV. */
  domainControllers: string[];
  dnsServer?: string;
}

export interface CaTargetConfig {
  host: string;
  port: number;
  caName: string;
  caBundle?: string;
  /** The CA's DNS name for SPNs / NTLM target names when `host` is an address. */
  serverName?: string;
}

/** One CA pool, resolved: targets paired by index, credentials, timeout. */
export interface PoolConfig {
  name: string;
  targets: CaTargetConfig[];
  domain: string;
  user: string;
  /** NTLM always; Kerberos only when it logs on with a password (no keytab, no ccache). */
  password?: Secret;
  /** `use_kerberos`: set when the pool authenticates with Kerberos instead of NTLM. */
  kerberos?: KerberosPoolConfig;
  timeoutSeconds: number;
  /** The options as configured (acme2certifier names), for enrollment_config_log. */
  options: Record<string, unknown>;
}

export interface PoolsConfig {
  pools: PoolConfig[];
  templates: Record<string, string>;
}

/** acme2certifier's pairing: comma lists in host, ca_name and ca_bundle are paired by index. */
export function pairTargets(hosts: string[], caNames: string[], bundles: string[] | undefined, serverNames?: string[]): CaTargetConfig[] {
  return hosts.map((entry, i) => {
    const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(entry);
    const host = (m?.[1] ?? m?.[2] ?? entry) as string;
    const port = m?.[3] ? Number(m[3]) : 445;
    const caName = (caNames.length === 1 ? caNames[0] : caNames[i]) as string;
    const caBundle = bundles ? (bundles.length === 1 ? bundles[0] : bundles[i]) : undefined;
    const serverName = serverNames ? (serverNames.length === 1 ? serverNames[0] : serverNames[i]) : undefined;
    return { host, port, caName, caBundle, ...(serverName ? { serverName } : {}) };
  });
}

/** The default pool's targets (from WCCE_*). */
export function caTargets(cfg: WorkerConfig): CaTargetConfig[] {
  return pairTargets(cfg.WCCE_HOST ?? [], cfg.WCCE_CA_NAME ?? [], cfg.WCCE_CA_BUNDLE, cfg.WCCE_SERVER_NAME);
}

const poolFileSchema = z.object({
  pools: z.record(
    z.string().regex(/^[A-Za-z0-9_.-]+$/, 'pool names are letters, digits, _ . -'),
    z
      .object({
        host: z.string().optional(),
        host_variable: z.string().optional(),
        ca_name: z.string(),
        ca_bundle: z.string().optional(),
        server_name: z.string().optional(),
        target_domain: z.string().optional(),
        user: z.string().optional(),
        user_variable: z.string().optional(),
        password: z.string().optional(),
        password_variable: z.string().optional(),
        timeout: z.number().int().positive().optional(),
        use_kerberos: z.boolean().optional(),
        krb5_principal: z.string().optional(),
        krb5_keytab: z.string().optional(),
        krb5_cache: z.string().optional(),
        krb5_config: z.string().optional(),
        domain_controller: z.string().optional(),
        dns_server: z.string().optional(),
      })
      .strict(),
  ),
  templates: z.record(z.string(), z.string()).default({}),
});

/** The pools: `default` from WCCE_*, others from WCCE_POOLS_FILE (acme2certifier names per pool). */
export function loadPools(cfg: WorkerConfig, env: Env = process.env): PoolsConfig {
  const pools: PoolConfig[] = [];
  const problems: string[] = [];
  const kerberosOptions = (use: boolean | undefined, o: Record<string, unknown>): Record<string, unknown> => (use ? { use_kerberos: true, ...o } : {});
  if (cfg.WCCE_USE_KERBEROS && cfg.WCCE_HOST && cfg.WCCE_CA_NAME) {
    const kerberos = kerberosPool({
      user: cfg.WCCE_USER,
      principal: cfg.WCCE_KRB5_PRINCIPAL,
      domain: cfg.WCCE_TARGET_DOMAIN,
      keytab: cfg.WCCE_KRB5_KEYTAB,
      ccache: cfg.WCCE_KRB5_CACHE,
      config: cfg.WCCE_KRB5_CONFIG,
      domainControllers: cfg.WCCE_DOMAIN_CONTROLLER,
      dnsServer: cfg.WCCE_DNS_SERVER,
    });
    pools.push({
      name: 'default',
      targets: caTargets(cfg),
      domain: cfg.WCCE_TARGET_DOMAIN ?? kerberos.realm,
      user: kerberos.principal,
      ...(cfg.WCCE_PASSWORD && !kerberos.keytab && !kerberos.ccache ? { password: cfg.WCCE_PASSWORD } : {}),
      kerberos,
      timeoutSeconds: cfg.WCCE_TIMEOUT,
      options: {
        host: cfg.WCCE_HOST.join(','),
        ca_name: cfg.WCCE_CA_NAME.join(','),
        ca_bundle: cfg.WCCE_CA_BUNDLE?.join(','),
        target_domain: cfg.WCCE_TARGET_DOMAIN,
        user: cfg.WCCE_USER,
        password: cfg.WCCE_PASSWORD,
        timeout: cfg.WCCE_TIMEOUT,
        ...kerberosOptions(true, {
          krb5_principal: cfg.WCCE_KRB5_PRINCIPAL,
          krb5_keytab: cfg.WCCE_KRB5_KEYTAB,
          krb5_cache: cfg.WCCE_KRB5_CACHE,
          krb5_config: cfg.WCCE_KRB5_CONFIG,
          domain_controller: cfg.WCCE_DOMAIN_CONTROLLER?.join(','),
          dns_server: cfg.WCCE_DNS_SERVER,
        }),
      },
    });
  } else if (cfg.WCCE_HOST && cfg.WCCE_CA_NAME && cfg.WCCE_USER && cfg.WCCE_PASSWORD && cfg.WCCE_TARGET_DOMAIN) {
    pools.push({
      name: 'default',
      targets: caTargets(cfg),
      domain: cfg.WCCE_TARGET_DOMAIN,
      user: cfg.WCCE_USER,
      password: cfg.WCCE_PASSWORD,
      timeoutSeconds: cfg.WCCE_TIMEOUT,
      options: {
        host: cfg.WCCE_HOST.join(','),
        ca_name: cfg.WCCE_CA_NAME.join(','),
        ca_bundle: cfg.WCCE_CA_BUNDLE?.join(','),
        target_domain: cfg.WCCE_TARGET_DOMAIN,
        user: cfg.WCCE_USER,
        password: cfg.WCCE_PASSWORD,
        timeout: cfg.WCCE_TIMEOUT,
      },
    });
  }
  let templates: Record<string, string> = {};
  if (cfg.WCCE_POOLS_FILE) {
    let raw: unknown;
    try {
      const text = readFileSync(cfg.WCCE_POOLS_FILE, 'utf8');
      raw = parseYaml(text);
    } catch (e) {
      throw new ConfigError('wcce-worker', [`WCCE_POOLS_FILE: cannot read or parse ${cfg.WCCE_POOLS_FILE} (${(e as Error).message})`]);
    }
    const parsed = poolFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ConfigError(
        'wcce-worker',
        parsed.error.issues.map((i) => `WCCE_POOLS_FILE ${i.path.join('.')}: ${i.message}`),
      );
    }
    templates = parsed.data.templates;
    for (const [name, p] of Object.entries(parsed.data.pools)) {
      if (name === 'default' && pools.some((x) => x.name === 'default')) {
        problems.push('WCCE_POOLS_FILE pools.default: the default pool is already defined by WCCE_HOST…; remove one of them');
        continue;
      }
      // acme2certifier: a direct value overrides the *_variable one.
      const host = p.host ?? (p.host_variable ? env[p.host_variable] : undefined);
      const user = p.user ?? (p.user_variable ? env[p.user_variable] : undefined) ?? cfg.WCCE_USER;
      const password = p.password ?? (p.password_variable ? env[p.password_variable] : undefined) ?? cfg.WCCE_PASSWORD?.reveal();
      const domain = p.target_domain ?? cfg.WCCE_TARGET_DOMAIN;
      const hosts = host?.split(',').map((s) => s.trim());
      const names = p.ca_name.split(',').map((s) => s.trim());
      const bundles = p.ca_bundle?.split(',').map((s) => s.trim());
      if (p.use_kerberos ?? cfg.WCCE_USE_KERBEROS) {
        // Kerberos options not given for the pool fall back to the WCCE_* ones, like user and password.
        const k = {
          user,
          principal: p.krb5_principal ?? (p.user || p.user_variable ? undefined : cfg.WCCE_KRB5_PRINCIPAL),
          domain,
          keytab: p.krb5_keytab ?? (p.password || p.password_variable ? undefined : cfg.WCCE_KRB5_KEYTAB),
          ccache: p.krb5_cache ?? (p.password || p.password_variable ? undefined : cfg.WCCE_KRB5_CACHE),
          config: p.krb5_config ?? cfg.WCCE_KRB5_CONFIG,
          domainControllers:
            p.domain_controller !== undefined
              ? p.domain_controller
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean)
              : cfg.WCCE_DOMAIN_CONTROLLER,
          dnsServer: p.dns_server ?? cfg.WCCE_DNS_SERVER,
        };
        const problem = kerberosProblem({ ...k, password: password ? new Secret(password) : undefined });
        if (!host) problems.push(`WCCE_POOLS_FILE pools.${name}.host: missing (or host_variable names an unset variable)`);
        if (problem) problems.push(`WCCE_POOLS_FILE pools.${name}: ${problem.message.replace(/^missing; /, '')}`);
        for (const dc of k.domainControllers ?? [])
          if (!HOST_RE.test(dc)) problems.push(`WCCE_POOLS_FILE pools.${name}.domain_controller: "${dc}" is not HOST or HOST:PORT`);
        if (!hosts || problem) continue;
        for (const h of hosts) if (!HOST_RE.test(h)) problems.push(`WCCE_POOLS_FILE pools.${name}.host: "${h}" is not HOST or HOST:PORT`);
        if (names.length !== 1 && names.length !== hosts.length)
          problems.push(`WCCE_POOLS_FILE pools.${name}.ca_name: has ${names.length} entries; host has ${hosts.length}`);
        const kerberos = kerberosPool(k);
        pools.push({
          name,
          targets: pairTargets(
            hosts,
            names,
            bundles,
            p.server_name?.split(',').map((x) => x.trim()),
          ),
          domain: domain ?? kerberos.realm,
          user: kerberos.principal,
          ...(password && !kerberos.keytab && !kerberos.ccache ? { password: new Secret(password) } : {}),
          kerberos,
          timeoutSeconds: p.timeout ?? cfg.WCCE_TIMEOUT,
          options: { ...p, use_kerberos: true, password: p.password ? new Secret(p.password) : undefined },
        });
        continue;
      }
      if (!host) problems.push(`WCCE_POOLS_FILE pools.${name}.host: missing (or host_variable names an unset variable)`);
      if (!user) problems.push(`WCCE_POOLS_FILE pools.${name}.user: missing`);
      if (!password) problems.push(`WCCE_POOLS_FILE pools.${name}.password: missing (or password_variable names an unset variable)`);
      if (!domain) problems.push(`WCCE_POOLS_FILE pools.${name}.target_domain: missing`);
      if (!hosts || !user || !password || !domain) continue;
      if (names.length !== 1 && names.length !== hosts.length)
        problems.push(`WCCE_POOLS_FILE pools.${name}.ca_name: has ${names.length} entries; host has ${hosts.length}`);
      for (const h of hosts) if (!HOST_RE.test(h)) problems.push(`WCCE_POOLS_FILE pools.${name}.host: "${h}" is not HOST or HOST:PORT`);
      pools.push({
        name,
        targets: pairTargets(
          hosts,
          names,
          bundles,
          p.server_name?.split(',').map((x) => x.trim()),
        ),
        domain,
        user,
        password: new Secret(password),
        timeoutSeconds: p.timeout ?? cfg.WCCE_TIMEOUT,
        options: { ...p, password: p.password ? new Secret(p.password) : undefined },
      });
    }
    for (const [template, pool] of Object.entries(templates)) {
      if (!pools.some((p) => p.name === pool)) problems.push(`WCCE_POOLS_FILE templates.${template}: unknown pool "${pool}"`);
    }
  }
  if (!pools.some((p) => p.name === 'default'))
    problems.push('no default CA pool: set WCCE_HOST, WCCE_CA_NAME, WCCE_TARGET_DOMAIN, WCCE_USER, WCCE_PASSWORD or define pools.default in WCCE_POOLS_FILE');
  if (problems.length) throw new ConfigError('wcce-worker', problems);
  return { pools, templates };
}

const SECRET_OPTIONS = ['password', 'password_variable', 'user_variable', 'host_variable'];

/** acme2certifier `enrollment_config_log`: the pool's options minus secrets and the skip list. */
export function enrollmentConfigLog(pool: PoolConfig, skip: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { pool: pool.name };
  for (const [k, v] of Object.entries(pool.options)) {
    if (v === undefined || SECRET_OPTIONS.includes(k) || skip.includes(k)) continue;
    out[k] = v;
  }
  return out;
}
