/**
 * SCEP profiles: the default one (SCEP_* keys) and named ones (/scep/<name>/…), each resolved to
 * its templates and key policy. Template choice follows NDES (research/scep-windows.md §4): the CSR's
 * key usage picks SignatureTemplate (digitalSignature only), EncryptionTemplate (keyEncipherment
 * only) or GeneralPurposeTemplate (both, or neither), unless the profile names one template. The
 * names a CSR may carry are SCEP_POLICY_FILE's business (libs/policy), not a profile's.
 */
import type { KeyPolicy } from '@enrollgate/policy';
import type { KeyUsageName } from '@enrollgate/pki';
import type { ProfileConfig, ScepConfig } from '../config.js';

export const DEFAULT_PROFILE = 'default';

export interface ScepProfile {
  name: string;
  signatureTemplate: string;
  encryptionTemplate: string;
  generalPurposeTemplate: string;
  template?: string;
  caPool?: string;
  challengePassword?: string;
  requireChallenge: boolean;
  /** the policy file's key_policy.scep with this profile's overrides */
  keyPolicy: KeyPolicy;
  allowValidityPeriod: boolean;
}

export function resolveProfiles(config: ScepConfig): Map<string, ScepProfile> {
  const base: ScepProfile = {
    name: DEFAULT_PROFILE,
    signatureTemplate: config.SCEP_TEMPLATE_SIGNATURE,
    encryptionTemplate: config.SCEP_TEMPLATE_ENCRYPTION,
    generalPurposeTemplate: config.SCEP_TEMPLATE_GENERAL_PURPOSE,
    ...(config.SCEP_CA_POOL ? { caPool: config.SCEP_CA_POOL } : {}),
    ...(config.SCEP_CHALLENGE_PASSWORD ? { challengePassword: config.SCEP_CHALLENGE_PASSWORD.reveal() } : {}),
    requireChallenge: config.SCEP_REQUIRE_CHALLENGE,
    keyPolicy: { ...config.policy.keyPolicy.scep, ...(config.SCEP_MIN_RSA_BITS !== undefined ? { rsaMinBits: config.SCEP_MIN_RSA_BITS } : {}) },
    allowValidityPeriod: config.SCEP_ALLOW_VALIDITY_PERIOD,
  };
  const out = new Map<string, ScepProfile>([[DEFAULT_PROFILE, base]]);
  for (const [name, p] of Object.entries(config.profiles)) out.set(name.toLowerCase(), merge(base, name, p));
  return out;
}

function merge(base: ScepProfile, name: string, p: ProfileConfig): ScepProfile {
  const out: ScepProfile = { ...base, name };
  if (p.signatureTemplate) out.signatureTemplate = p.signatureTemplate;
  if (p.encryptionTemplate) out.encryptionTemplate = p.encryptionTemplate;
  if (p.generalPurposeTemplate) out.generalPurposeTemplate = p.generalPurposeTemplate;
  if (p.template) out.template = p.template;
  if (p.caPool) out.caPool = p.caPool;
  if (p.challengePassword) out.challengePassword = p.challengePassword;
  if (p.requireChallenge !== undefined) out.requireChallenge = p.requireChallenge;
  out.keyPolicy = {
    rsaMinBits: p.minRsaBits ?? base.keyPolicy.rsaMinBits,
    rsaMaxBits: p.maxRsaBits ?? base.keyPolicy.rsaMaxBits,
    curves: p.curves ?? base.keyPolicy.curves,
  };
  if (p.allowValidityPeriod !== undefined) out.allowValidityPeriod = p.allowValidityPeriod;
  return out;
}

export type TemplatePurpose = 'signature' | 'encryption' | 'generalPurpose';

/** NDES's choice by key usage (KeyUsage 160 = 0xA0 = both → general purpose). */
export function purposeOf(keyUsages: readonly KeyUsageName[] | undefined): TemplatePurpose {
  const sign = keyUsages?.includes('digitalSignature') ?? false;
  const encrypt = keyUsages?.includes('keyEncipherment') ?? false;
  if (sign && !encrypt) return 'signature';
  if (encrypt && !sign) return 'encryption';
  return 'generalPurpose';
}

export function templateFor(profile: ScepProfile, keyUsages: readonly KeyUsageName[] | undefined): string {
  if (profile.template) return profile.template;
  switch (purposeOf(keyUsages)) {
    case 'signature':
      return profile.signatureTemplate;
    case 'encryption':
      return profile.encryptionTemplate;
    case 'generalPurpose':
      return profile.generalPurposeTemplate;
  }
}
