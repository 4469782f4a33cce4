import { listenAddress, loadConfig, positiveInt, secret, urlString, type Env } from '@enrollgate/platform';
import { z } from 'zod';

const commaList = (what: string) =>
  z
    .string({ message: `expected ${what}` })
    .transform((v) => v.split(',').map((s) => s.trim()))
    .refine((list) => list.every((s) => s.length > 0), { message: `expected a comma-separated list of ${what} without empty entries` });

/**
 * wcce-worker configuration. The WCCE_* keys carry acme2certifier's [CAhandler] option names
 * (host, ca_name, ca_bundle, user, password, target_domain, timeout); comma lists in host,
 * ca_name and ca_bundle are paired by index, as acme2certifier does (DESIGN.md Configuration).
 */
export const workerConfigSchema = z
  .object({
    WORKER_LISTEN: listenAddress('127.0.0.1:4200'),
    WORKER_CONCURRENCY: positiveInt(8),
    REDIS_URL: urlString(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
    QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, _ or -').default('enrollgate'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    /** acme2certifier `host`: CA host[:port], comma list */
    WCCE_HOST: commaList('CA hosts (HOST or HOST:PORT)'),
    /** acme2certifier `ca_name`: the CA's common name (pwszAuthority), comma list paired with WCCE_HOST */
    WCCE_CA_NAME: commaList('CA names'),
    /** acme2certifier `ca_bundle`: PEM chain file(s) appended when the CA's PKCS#7 has no chain */
    WCCE_CA_BUNDLE: commaList('PEM file paths').optional(),
    /** acme2certifier `target_domain`: the NTLM domain / Kerberos realm */
    WCCE_TARGET_DOMAIN: z.string({ message: 'expected the AD domain (NetBIOS or DNS name)' }).min(1),
    WCCE_USER: z.string({ message: 'expected the enrollment account name' }).min(1),
    WCCE_PASSWORD: secret(),
    /** acme2certifier `timeout` (seconds): connect and each SMB exchange */
    WCCE_TIMEOUT: positiveInt(5),
    /** Upper bound for one CA call (connect + auth + bind + request), seconds */
    WCCE_CALL_DEADLINE: positiveInt(30),
    /** Concurrent calls per CA host */
    WCCE_MAX_CONNECTIONS_PER_HOST: positiveInt(8),
    /** Whole-job attempts before an enrollment fails */
    ENROLL_ATTEMPTS: positiveInt(5),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.WCCE_CA_NAME.length !== 1 && cfg.WCCE_CA_NAME.length !== cfg.WCCE_HOST.length) {
      ctx.addIssue({ code: 'custom', path: ['WCCE_CA_NAME'], message: `has ${cfg.WCCE_CA_NAME.length} entries; WCCE_HOST has ${cfg.WCCE_HOST.length} (pair them by index, or give one name for all)` });
    }
    for (const h of cfg.WCCE_HOST) {
      if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(h)) {
        ctx.addIssue({ code: 'custom', path: ['WCCE_HOST'], message: `"${h}" is not HOST or HOST:PORT` });
      }
    }
  });

export type WorkerConfig = z.output<typeof workerConfigSchema>;

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  return loadConfig('wcce-worker', workerConfigSchema, env);
}

/** The (host, port, CA name, bundle) pairs of the default pool, paired by index. */
export function caTargets(cfg: WorkerConfig): { host: string; port: number; caName: string; caBundle?: string }[] {
  return cfg.WCCE_HOST.map((entry, i) => {
    const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(entry);
    const host = (m?.[1] ?? m?.[2] ?? entry) as string;
    const port = m?.[3] ? Number(m[3]) : 445;
    const caName = (cfg.WCCE_CA_NAME.length === 1 ? cfg.WCCE_CA_NAME[0] : cfg.WCCE_CA_NAME[i]) as string;
    const bundles = cfg.WCCE_CA_BUNDLE;
    const caBundle = bundles ? (bundles.length === 1 ? bundles[0] : bundles[i]) : undefined;
    return { host, port, caName, caBundle };
  });
}
