import { readFileSync } from 'node:fs';
import { frontendConfigShape } from '@enrollgate/enrollment';
import { ConfigError, booleanString, listenAddress, loadConfig, optionalSecret, positiveInt, type Env } from '@enrollgate/platform';
import { RaKeyCipher } from '@enrollgate/store';
import { NAMED_CURVES, PolicyConfigError, loadPolicyConfigFile, parsePolicyConfig, type PolicyConfig } from '@enrollgate/policy';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const TEMPLATE = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, 'expected an AD CS template name');
const NAME = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected letters, digits, _ . -');

/** One SCEP profile (served at /scep/<name>/…); every field optional, defaults from SCEP_* keys. */
export const profileSchema = z
  .object({
    /** NDES's three registry values (SignatureTemplate, EncryptionTemplate, GeneralPurposeTemplate) */
    signatureTemplate: TEMPLATE.optional(),
    encryptionTemplate: TEMPLATE.optional(),
    generalPurposeTemplate: TEMPLATE.optional(),
    /** one template for every request, whatever its key usage */
    template: TEMPLATE.optional(),
    caPool: NAME.optional(),
    /** a static challenge for this profile (NDES UseSinglePassword) */
    challengePassword: z.string().min(1).optional(),
    /** false: no challenge needed (labs, or behind an upstream RA) */
    requireChallenge: z.boolean().optional(),
    /** key policy of this profile, over SCEP_POLICY_FILE's key_policy.scep: minimum and maximum RSA modulus, EC curves */
    minRsaBits: z.number().int().min(512).max(16384).optional(),
    maxRsaBits: z.number().int().min(512).max(16384).optional(),
    curves: z.array(z.enum(NAMED_CURVES)).optional(),
    /** forward the CSR's ValidityPeriod/ValidityPeriodUnits to the CA */
    allowValidityPeriod: z.boolean().optional(),
  })
  .strict();
export type ProfileConfig = z.infer<typeof profileSchema>;

const profilesFileSchema = z.object({ profiles: z.record(NAME, profileSchema) }).strict();

/**
 * The policy without SCEP_POLICY_FILE: no name restrictions, and RSA from 1024 bits for SCEP
 * (the Windows seed profile's KeyLength; NDES leaves the minimum to the AD CS template).
 */
export const DEFAULT_SCEP_POLICY = { key_policy: { scep: { rsa_min_bits: 1024 } } };

/** scep-api configuration: environment variable names are the keys. Validated once at start-up. */
export const scepConfigSchema = z
  .object({
    SCEP_LISTEN: listenAddress('127.0.0.1:4100'),
    ...frontendConfigShape,
    /** seconds PKIOperation waits for the CA's answer before replying PENDING */
    SCEP_WAIT_SECONDS: positiveInt(5),
    /** how long a transaction is kept after its last request (hours): ≥ RetryCount × RetryDelay of the clients */
    SCEP_TRANSACTION_RETENTION_HOURS: positiveInt(24),
    /** maximum POST body (bytes); GET request lines up to SCEP_MAX_URL_BYTES */
    SCEP_MAX_BODY_BYTES: positiveInt(2 * 1024 * 1024),
    SCEP_MAX_URL_BYTES: positiveInt(65536),
    // templates of the default profile (NDES MSCEP registry defaults)
    SCEP_TEMPLATE_SIGNATURE: TEMPLATE.default('IPSECIntermediateOffline'),
    SCEP_TEMPLATE_ENCRYPTION: TEMPLATE.default('IPSECIntermediateOffline'),
    SCEP_TEMPLATE_GENERAL_PURPOSE: TEMPLATE.default('IPSECIntermediateOffline'),
    SCEP_CA_POOL: NAME.optional(),
    /** the default profile's minimum RSA modulus, over SCEP_POLICY_FILE's key_policy.scep.rsa_min_bits */
    SCEP_MIN_RSA_BITS: z.coerce.number().int().min(512).max(16384).optional(),
    /**
     * The policy file acme-api reads too (JSON or YAML, libs/policy): allowed_domainlist,
     * allowed_iplist, identifier_limit, wildcard_certificate_disable, key_policy.scep and
     * san_request_attribute apply to every PKCSReq/RenewalReq (its CN and SANs)
     */
    SCEP_POLICY_FILE: z.string().min(1).optional(),
    SCEP_ALLOW_VALIDITY_PERIOD: booleanString(false),
    /** more profiles (YAML or JSON: {profiles: {name: {...}}}) */
    SCEP_PROFILES_FILE: z.string().optional(),
    // challenges
    SCEP_CHALLENGE_PASSWORD: optionalSecret(),
    SCEP_REQUIRE_CHALLENGE: booleanString(true),
    SCEP_CHALLENGE_TTL_MINUTES: positiveInt(60),
    /** open one-time challenges at most (NDES PasswordMax, default 5 there) */
    SCEP_CHALLENGE_CACHE_SIZE: positiveInt(1000),
    /** HTTP Basic credentials of /certsrv/mscep_admin/ and the JSON challenge API (both off without them) */
    SCEP_ADMIN_USER: z.string().min(1).optional(),
    SCEP_ADMIN_PASSWORD: optionalSecret(),
    /** HTTP authentication schemes the admin page offers, in this order (IIS: Negotiate, NTLM; Basic when enabled) */
    SCEP_ADMIN_AUTH: z
      .string()
      .default('negotiate,ntlm,basic')
      .transform((v) => v.split(',').map((s) => s.trim().toLowerCase()))
      .pipe(z.array(z.enum(['negotiate', 'ntlm', 'basic'])).min(1, 'at least one of negotiate, ntlm, basic')),
    // RA certificates
    /** enroll: RA keys made here and certificates enrolled from the CA through the queue (as NDES does); files: given */
    SCEP_RA_MODE: z.enum(['enroll', 'files']).default('enroll'),
    /**
     * where enroll mode keeps the RA identities: dir (SCEP_RA_DIR, one replica) or database (shared
     * by every replica: one enrolls or renews, all serve the same certificates)
     */
    SCEP_RA_STORE: z.enum(['dir', 'database']).default('dir'),
    SCEP_RA_DIR: z.string().default('.enrollgate/scep-ra'),
    /** base64 of 32 bytes: AES-256-GCM key sealing the RA private keys in the database (SCEP_RA_STORE=database) */
    SCEP_RA_KEY_ENCRYPTION_KEY: optionalSecret(),
    /** seconds between re-reads of the shared RA store (new identities another replica enrolled) */
    SCEP_RA_STORE_REFRESH_SECONDS: positiveInt(60),
    /** a request encrypted to a certificate not known here re-reads the store at once, at most once per this many seconds */
    SCEP_RA_STORE_RECHECK_SECONDS: positiveInt(10),
    SCEP_RA_NAME: z.string().min(1).default('enrollgate'),
    SCEP_RA_SIGNING_TEMPLATE: TEMPLATE.default('EnrollmentAgentOffline'),
    SCEP_RA_ENCRYPTION_TEMPLATE: TEMPLATE.default('CEPEncryption'),
    SCEP_RA_RENEW_BEFORE_DAYS: positiveInt(30),
    SCEP_RA_SIGNING_CERT_FILE: z.string().optional(),
    SCEP_RA_SIGNING_KEY_FILE: z.string().optional(),
    SCEP_RA_ENCRYPTION_CERT_FILE: z.string().optional(),
    SCEP_RA_ENCRYPTION_KEY_FILE: z.string().optional(),
    /** PEM: issuing CA first, then up to the root (files mode; enroll mode takes the chain from the CA) */
    SCEP_CA_CHAIN_FILE: z.string().optional(),
    /**
     * PEM: the CA's next (rollover) certificate first, then its chain. GetNextCACert (RFC 8894
     * §4.7) serves it, and GetCACaps advertises GetNextCACert, only while it is not yet the current
     * issuing CA; absent (NDES's case) → not advertised, and GetNextCACert answers 404
     */
    SCEP_NEXT_CA_CHAIN_FILE: z.string().optional(),
    /** DER or PEM CRL served by GetCRL; absent → GetCRL answers FAILURE */
    SCEP_CRL_FILE: z.string().optional(),
    /** include the root in GetCACert (so CAThumbprint may pin the root or the issuing CA) */
    SCEP_INCLUDE_ROOT: booleanString(true),
    /** decrypt single-DES requests (micromdm scepclient 2.1); replies still use 3DES */
    SCEP_ALLOW_SINGLE_DES: booleanString(false),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.SCEP_RA_MODE === 'files') {
      for (const key of ['SCEP_RA_SIGNING_CERT_FILE', 'SCEP_RA_SIGNING_KEY_FILE', 'SCEP_CA_CHAIN_FILE'] as const) {
        if (!cfg[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'missing; required with SCEP_RA_MODE=files' });
      }
    }
    if (cfg.SCEP_RA_MODE === 'enroll' && cfg.SCEP_RA_STORE === 'database') {
      if (!cfg.SCEP_RA_KEY_ENCRYPTION_KEY)
        ctx.addIssue({
          code: 'custom',
          path: ['SCEP_RA_KEY_ENCRYPTION_KEY'],
          message: 'missing; required with SCEP_RA_STORE=database (base64 of 32 random bytes)',
        });
      else if (!RaKeyCipher.fromBase64(cfg.SCEP_RA_KEY_ENCRYPTION_KEY.reveal()))
        ctx.addIssue({ code: 'custom', path: ['SCEP_RA_KEY_ENCRYPTION_KEY'], message: 'expected base64 of exactly 32 bytes (e.g. openssl rand -base64 32)' });
    }
    if ((cfg.SCEP_ADMIN_USER === undefined) !== (cfg.SCEP_ADMIN_PASSWORD === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['SCEP_ADMIN_PASSWORD'], message: 'SCEP_ADMIN_USER and SCEP_ADMIN_PASSWORD go together' });
    }
  });

export type ScepConfig = z.output<typeof scepConfigSchema> & { profiles: Record<string, ProfileConfig>; policy: PolicyConfig };

export function loadScepConfig(env: Env = process.env): ScepConfig {
  const base = loadConfig('scep-api', scepConfigSchema, env);
  return { ...base, profiles: loadProfiles(base.SCEP_PROFILES_FILE), policy: loadScepPolicy(base.SCEP_POLICY_FILE) };
}

/** SCEP_POLICY_FILE validated at start-up (every bad key named), or DEFAULT_SCEP_POLICY. */
export function loadScepPolicy(file: string | undefined): PolicyConfig {
  try {
    return file ? loadPolicyConfigFile(file) : parsePolicyConfig(DEFAULT_SCEP_POLICY, 'built-in SCEP policy');
  } catch (e) {
    if (e instanceof PolicyConfigError)
      throw new ConfigError(
        'scep-api',
        e.problems.map((p) => `SCEP_POLICY_FILE (${e.source}): ${p}`),
      );
    throw e;
  }
}

export function loadProfiles(file: string | undefined): Record<string, ProfileConfig> {
  if (!file) return {};
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError('scep-api', [`SCEP_PROFILES_FILE: cannot read ${file}: ${(e as Error).message}`]);
  }
  const parsed = profilesFileSchema.safeParse(data);
  if (!parsed.success)
    throw new ConfigError(
      'scep-api',
      parsed.error.issues.map((i) =>
        JSON.stringify(i).includes('allowedDnsSuffixes')
          ? `SCEP_PROFILES_FILE ${i.path.join('.')}: allowedDnsSuffixes was replaced by allowed_domainlist in SCEP_POLICY_FILE (the policy acme-api uses)`
          : `SCEP_PROFILES_FILE ${i.path.join('.')}: ${i.message}`,
      ),
    );
  for (const [name, p] of Object.entries(parsed.data.profiles)) {
    if (p.minRsaBits !== undefined && p.maxRsaBits !== undefined && p.minRsaBits > p.maxRsaBits)
      throw new ConfigError('scep-api', [`SCEP_PROFILES_FILE profiles.${name}: minRsaBits above maxRsaBits`]);
  }
  return parsed.data.profiles;
}
