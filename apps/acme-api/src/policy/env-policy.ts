import type { PolicyFile } from '@enrollgate/policy';
import type { AcmeConfig } from '../config.js';

/** What acme-api did before policy files, and still does without one. */
export const ENV_POLICY_DEFAULTS = {
  template: 'WebServer',
  rsaMinBits: 2048,
  curves: ['P-256', 'P-384'],
  identifierLimit: 100,
} as const;

export type EnvPolicyConfig = Pick<
  AcmeConfig,
  'ACME_DEFAULT_TEMPLATE' | 'ACME_PROFILES' | 'ACME_RSA_MIN_BITS' | 'ACME_ALLOWED_CURVES' | 'ACME_IDENTIFIER_LIMIT' | 'ACME_EAB_REQUIRED'
>;

/**
 * The policy file equivalent of acme-api's environment variables, used when ACME_POLICY_FILE is
 * not set, so there is one policy implementation (libs/policy) whichever way it is configured.
 * A profile without a description is advertised as "AD CS template <name>".
 */
export function policyFileFromEnv(config: EnvPolicyConfig): PolicyFile {
  const profiles = Object.fromEntries(
    Object.entries(config.ACME_PROFILES ?? {}).map(([name, p]) => [
      name,
      {
        description: p.description || `AD CS template ${p.template}`,
        template: p.template,
        ...(p.rsaMinBits !== undefined ? { rsa_min_bits: p.rsaMinBits } : {}),
        ...(p.curves !== undefined ? { curves: p.curves } : {}),
      },
    ]),
  );
  return {
    template: config.ACME_DEFAULT_TEMPLATE ?? ENV_POLICY_DEFAULTS.template,
    identifier_limit: config.ACME_IDENTIFIER_LIMIT ?? ENV_POLICY_DEFAULTS.identifierLimit,
    profiles,
    key_policy: {
      acme: {
        rsa_min_bits: config.ACME_RSA_MIN_BITS ?? ENV_POLICY_DEFAULTS.rsaMinBits,
        curves: config.ACME_ALLOWED_CURVES ?? [...ENV_POLICY_DEFAULTS.curves],
      },
    },
    eab_strict_mode: config.ACME_EAB_REQUIRED,
  };
}
