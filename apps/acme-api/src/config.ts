import { frontendConfigShape } from '@enrollgate/enrollment';
import { booleanString, listenAddress, loadConfig, optionalSecret, positiveInt, urlString, type Env } from '@enrollgate/platform';
import { z } from 'zod';

const jsonObject = <T extends z.ZodType>(what: string, shape: T) =>
  z
    .string()
    .optional()
    .transform((v, ctx): z.output<T> | undefined => {
      if (v === undefined || v.trim() === '') return undefined;
      let raw: unknown;
      try {
        raw = JSON.parse(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: `expected JSON (${what})` });
        return z.NEVER;
      }
      const parsed = shape.safeParse(raw);
      if (!parsed.success) {
        ctx.addIssue({
          code: 'custom',
          message: `expected ${what}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
        });
        return z.NEVER;
      }
      return parsed.data as z.output<T>;
    });

const CURVES = ['P-256', 'P-384', 'P-521'] as const;

/** An optional whole number in [min, max]; absent or empty → undefined (the default is applied where it is used). */
const optionalInt = (min: number, max: number) =>
  z.preprocess(
    (v) => (v === undefined || v === '' ? undefined : v),
    z.coerce.number({ message: 'expected a number' }).int('expected an integer').min(min).max(max).optional(),
  );

/** The environment variables a policy file replaces, and the policy file option that does. */
const REPLACED_BY_POLICY_FILE = {
  ACME_DEFAULT_TEMPLATE: 'template',
  ACME_PROFILES: 'profiles',
  ACME_RSA_MIN_BITS: 'key_policy.acme.rsa_min_bits',
  ACME_ALLOWED_CURVES: 'key_policy.acme.curves',
  ACME_IDENTIFIER_LIMIT: 'identifier_limit',
} as const;

/** Key policy of a profile (RFC 8555 §7.4 finalize: "the CSR's key is acceptable"). */
const keyPolicyShape = {
  rsaMinBits: z.number().int().min(1024).max(16384).optional(),
  curves: z.array(z.enum(CURVES)).optional(),
};

/** `ACME_PROFILES`: acme2certifier's `profiles` idea, name → description + AD CS template. */
export const profilesSchema = z.record(
  z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  z.object({ description: z.string().default(''), template: z.string().min(1), ...keyPolicyShape }).strict(),
);
export type ProfilesConfig = z.output<typeof profilesSchema>;

/** `ACME_EAB_KEYS`: kid → base64url MAC key (padded, unpadded or standard base64 accepted). */
const eabKeysSchema = z.record(z.string().min(1), z.string().min(1));

const commaList = z
  .string()
  .optional()
  .transform((v) =>
    v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  );

/** acme-api configuration: environment variable names are the keys. Validated once at start-up. */
export const acmeConfigSchema = z
  .object({
    ACME_LISTEN: listenAddress('127.0.0.1:4000'),
    ...frontendConfigShape,
    /**
     * Base of every URL returned and of every JWS `url` checked (acme2certifier `url_prefix`); never
     * the Host header. May carry a path prefix (`https://pki.example.com/acme/`): the routes are then
     * served under the prefix and without it, so the ingress may keep or strip it.
     */
    ACME_PUBLIC_URL: urlString(['http', 'https']).optional(),
    /** Serve HTTPS with this PEM certificate chain and key (files); plain HTTP when absent. */
    ACME_TLS_CERT_FILE: z.string().optional(),
    ACME_TLS_KEY_FILE: z.string().optional(),
    /** Directory meta (RFC 8555 §7.1.1): acme2certifier `tos_url`, `caaidentities`. */
    ACME_TOS_URL: urlString(['http', 'https']).optional(),
    ACME_WEBSITE: urlString(['http', 'https']).optional(),
    ACME_CAA_IDENTITIES: commaList,
    /**
     * Policy file (JSON or YAML, acme2certifier option names; libs/policy): allow-lists, identifier
     * limit, templates, profiles, header_info_list, key policy, EAB key file and eab_strict_mode.
     * Without it the policy is built from ACME_DEFAULT_TEMPLATE, ACME_PROFILES, ACME_RSA_MIN_BITS,
     * ACME_ALLOWED_CURVES and ACME_IDENTIFIER_LIMIT (acme-api's env-policy.ts), which a policy file replaces.
     */
    ACME_POLICY_FILE: z.string().trim().min(1).optional(),
    /** Template when the order names no profile (acme2certifier `template`); default WebServer. */
    ACME_DEFAULT_TEMPLATE: z.string().min(1).optional(),
    ACME_PROFILES: jsonObject('{"name": {"description": "…", "template": "…"}}', profilesSchema),
    /** Default key policy at finalize (default 2048, P-256,P-384); profiles may override. */
    ACME_RSA_MIN_BITS: optionalInt(1024, 16384),
    ACME_ALLOWED_CURVES: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return undefined;
        const list = v.split(',').map((s) => s.trim());
        for (const c of list)
          if (!(CURVES as readonly string[]).includes(c)) ctx.addIssue({ code: 'custom', message: `unknown curve "${c}" (expected ${CURVES.join(', ')})` });
        return list as (typeof CURVES)[number][];
      }),
    /** External account binding (RFC 8555 §7.3.4). */
    ACME_EAB_REQUIRED: booleanString(false),
    ACME_EAB_KEYS: optionalSecret(),
    /** Limits and lifetimes. Identifiers per order (acme2certifier identifier_limit); default 100. */
    ACME_IDENTIFIER_LIMIT: optionalInt(1, 100000),
    ACME_NONCE_TTL_SECONDS: positiveInt(3600),
    /**
     * Accounts kept per replica between requests (default 60 s; 0: read on every request). Every
     * change through ACME is seen by all replicas on their next request whatever this says; the
     * age bounds only changes made to the database directly, or lost with Redis' data.
     */
    ACME_ACCOUNT_CACHE_SECONDS: optionalInt(0, 86_400),
    ACME_ORDER_LIFETIME_SECONDS: positiveInt(7 * 86400),
    ACME_AUTHZ_LIFETIME_SECONDS: positiveInt(7 * 86400),
    /** How long a valid authorization may be reused by the same account. */
    ACME_AUTHZ_REUSE_SECONDS: positiveInt(30 * 86400),
    /** Bounded waits: challenge POST for the validation, finalize for the certificate. */
    ACME_CHALLENGE_WAIT_MS: positiveInt(2000),
    ACME_FINALIZE_WAIT_MS: positiveInt(2000),
    ACME_RETRY_AFTER_SECONDS: positiveInt(1),
    /** Transient enrollment failures keep the order processing this long, then it is invalid. */
    ACME_ORDER_MAX_PROCESSING_SECONDS: positiveInt(24 * 3600),
    /** Challenge validation (acme2certifier `challenge_validation_timeout`, `dns_server_list`). */
    ACME_VALIDATION_TIMEOUT_SECONDS: positiveInt(10),
    ACME_VALIDATION_ATTEMPTS: positiveInt(3),
    ACME_VALIDATION_BACKOFF_MS: positiveInt(1000),
    ACME_VALIDATION_CONCURRENCY: positiveInt(16),
    ACME_HTTP01_PORT: positiveInt(80),
    ACME_TLSALPN01_PORT: positiveInt(443),
    ACME_DNS_SERVERS: commaList,
    /** ARI (RFC 9773): renewal window start/end as a fraction of the lifetime, and Retry-After. */
    ACME_ARI_WINDOW_START_PERCENT: positiveInt(66),
    ACME_ARI_WINDOW_END_PERCENT: positiveInt(80),
    ACME_ARI_RETRY_AFTER_SECONDS: positiveInt(21600),
  })
  .superRefine((cfg, ctx) => {
    if ((cfg.ACME_TLS_CERT_FILE === undefined) !== (cfg.ACME_TLS_KEY_FILE === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['ACME_TLS_KEY_FILE'], message: 'ACME_TLS_CERT_FILE and ACME_TLS_KEY_FILE go together' });
    }
    if (cfg.ACME_PUBLIC_URL !== undefined) {
      const u = new URL(cfg.ACME_PUBLIC_URL);
      if (u.search || u.hash) ctx.addIssue({ code: 'custom', path: ['ACME_PUBLIC_URL'], message: 'must not carry a query or fragment' });
    }
    if (cfg.ACME_ARI_WINDOW_END_PERCENT <= cfg.ACME_ARI_WINDOW_START_PERCENT || cfg.ACME_ARI_WINDOW_END_PERCENT > 100) {
      ctx.addIssue({ code: 'custom', path: ['ACME_ARI_WINDOW_END_PERCENT'], message: 'must be above ACME_ARI_WINDOW_START_PERCENT and at most 100' });
    }
    if (cfg.ACME_EAB_KEYS !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(cfg.ACME_EAB_KEYS.reveal());
      } catch {
        ctx.addIssue({ code: 'custom', path: ['ACME_EAB_KEYS'], message: 'expected JSON {"kid": "base64url key"}' });
        return;
      }
      const keys = eabKeysSchema.safeParse(parsed);
      if (!keys.success) ctx.addIssue({ code: 'custom', path: ['ACME_EAB_KEYS'], message: 'expected JSON {"kid": "base64url key"}' });
      else
        for (const [kid, key] of Object.entries(keys.data)) {
          if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(key.trim()))
            ctx.addIssue({ code: 'custom', path: ['ACME_EAB_KEYS'], message: `key of kid "${kid}" is not base64url` });
        }
    }
    // With a policy file, its eab_key_file may hold the keys: checked when the policy opens.
    if (cfg.ACME_EAB_REQUIRED && cfg.ACME_EAB_KEYS === undefined && cfg.ACME_POLICY_FILE === undefined) {
      ctx.addIssue({ code: 'custom', path: ['ACME_EAB_KEYS'], message: 'missing; required when ACME_EAB_REQUIRED=true' });
    }
    if (cfg.ACME_POLICY_FILE !== undefined) {
      // One policy, one place: a policy file replaces these rather than being silently overridden by them.
      for (const [key, instead] of Object.entries(REPLACED_BY_POLICY_FILE)) {
        if (cfg[key as keyof typeof REPLACED_BY_POLICY_FILE] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: `set ${instead} in ACME_POLICY_FILE instead (the policy file replaces ${key})` });
      }
    }
  });

export type AcmeConfig = z.output<typeof acmeConfigSchema>;

export function loadAcmeConfig(env: Env = process.env): AcmeConfig {
  return loadConfig('acme-api', acmeConfigSchema, env);
}

/** EAB MAC keys by kid, decoded (cert-manager stores them unpadded base64url). */
export function eabKeysOf(config: Pick<AcmeConfig, 'ACME_EAB_KEYS'>): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!config.ACME_EAB_KEYS) return out;
  const raw = eabKeysSchema.parse(JSON.parse(config.ACME_EAB_KEYS.reveal()));
  for (const [kid, key] of Object.entries(raw)) out.set(kid, Buffer.from(key.trim().replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url'));
  return out;
}

/** The public base URL (with its path prefix, if any) without a trailing slash; http://ACME_LISTEN when none is configured. */
export function publicBaseOf(config: Pick<AcmeConfig, 'ACME_PUBLIC_URL' | 'ACME_LISTEN' | 'ACME_TLS_CERT_FILE'>): string {
  if (config.ACME_PUBLIC_URL) return config.ACME_PUBLIC_URL.replace(/\/+$/, '');
  const host = config.ACME_LISTEN.host.includes(':') ? `[${config.ACME_LISTEN.host}]` : config.ACME_LISTEN.host;
  return `${config.ACME_TLS_CERT_FILE ? 'https' : 'http'}://${host}:${config.ACME_LISTEN.port}`;
}
