import { KeyProfileFileError, Policy, PolicyConfigError, openPolicy, parsePolicyConfig, type OpenedPolicy, type PolicyLogger } from '@enrollgate/policy';
import { ConfigError } from '@enrollgate/platform';
import { eabKeysOf, type AcmeConfig } from '../config.js';
import { policyFileFromEnv } from './env-policy.js';

/** Where the policy came from, for error messages. */
const ENV_SOURCE = 'acme-api environment (ACME_DEFAULT_TEMPLATE, ACME_PROFILES, ACME_RSA_MIN_BITS, ACME_ALLOWED_CURVES, ACME_IDENTIFIER_LIMIT)';

/**
 * Opens acme-api's policy at start-up: ACME_POLICY_FILE (and the EAB key file it names, watched
 * for changes) or, without one, the policy the environment variables describe. Every problem is
 * a ConfigError (runMain exits 2) carrying the library's message, before anything connects.
 */
export function openAcmePolicy(config: AcmeConfig, logger?: PolicyLogger): OpenedPolicy {
  let opened: OpenedPolicy;
  try {
    opened = config.ACME_POLICY_FILE
      ? openPolicy(config.ACME_POLICY_FILE, logger ? { logger } : {})
      : { policy: new Policy(parsePolicyConfig(policyFileFromEnv(config), ENV_SOURCE)), close: () => undefined };
  } catch (e) {
    if (e instanceof PolicyConfigError)
      throw new ConfigError(
        'acme-api',
        e.problems.map((p) => `${config.ACME_POLICY_FILE ? 'ACME_POLICY_FILE ' : ''}${e.source}: ${p}`),
      );
    if (e instanceof KeyProfileFileError) throw new ConfigError('acme-api', [`ACME_POLICY_FILE ${config.ACME_POLICY_FILE}: eab_key_file ${e.message}`]);
    throw e;
  }
  const problems = eabProblems(config, opened);
  if (problems.length > 0) {
    opened.close();
    throw new ConfigError('acme-api', problems);
  }
  return opened;
}

/** EAB keys come from ACME_EAB_KEYS and the policy's key file: a kid in both is ambiguous; EAB required with no key at all locks everyone out. */
function eabProblems(config: AcmeConfig, opened: OpenedPolicy): string[] {
  const envKids = [...eabKeysOf(config).keys()];
  const fileKeys = opened.keyProfiles?.macKeyMap();
  const problems: string[] = [];
  const both = envKids.filter((kid) => fileKeys?.has(kid));
  if (both.length > 0) problems.push(`ACME_EAB_KEYS: kid ${both.map((k) => `"${k}"`).join(', ')} is in the EAB key file too; keep each kid in one place`);
  const required = config.ACME_EAB_REQUIRED || opened.policy.eabRequired;
  if (required && envKids.length === 0 && opened.keyProfiles === undefined)
    problems.push(
      "ACME_EAB_KEYS: EAB is required (ACME_EAB_REQUIRED or eab_strict_mode) but no MAC key is configured (ACME_EAB_KEYS or the policy file's eab_key_file)",
    );
  return problems;
}
