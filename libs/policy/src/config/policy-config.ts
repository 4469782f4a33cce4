import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DomainAllowList } from '../identifiers/domain-list.js';
import { DEFAULT_IDENTIFIER_LIMIT } from '../identifiers/identifier-rules.js';
import { IpAllowList } from '../identifiers/ip-list.js';
import { DEFAULT_KEY_POLICIES, NAMED_CURVES, type EnrollProtocolName, type KeyPolicy } from '../keys/key-policy.js';
import type { AcmeProfile, AcmeProfiles } from '../profiles/acme-profiles.js';
import { headerNameOf } from '../templates/header-template.js';
import { isConfiguredTemplateName } from '../templates/template-name.js';

/** The policy file is invalid: every problem, each naming its key. */
export class PolicyConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid policy configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PolicyConfigError';
  }
}

const templateName = z.string().refine(isConfiguredTemplateName, 'expected an AD CS template name (1–64 characters, no control characters)');
const profileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'profile names are letters, digits, _ . - (at most 64)');

const keyPolicyShape = z
  .object({
    rsa_min_bits: z.number().int().min(1024).max(16384).optional(),
    rsa_max_bits: z.number().int().min(1024).max(16384).optional(),
    curves: z.array(z.enum(NAMED_CURVES)).optional(),
  })
  .strict();

/**
 * The policy file (JSON or YAML). Keys are acme2certifier's option names where it has one
 * ([Order], [CAhandler] template, [EABhandler]); the import command writes this file.
 */
export const policyFileSchema = z
  .object({
    /** [CAhandler] template: used when nothing else chooses one */
    template: templateName.optional(),
    allowed_domainlist: z.array(z.string()).default([]),
    allowed_iplist: z.array(z.string()).default([]),
    identifier_limit: z.number().int().positive().default(DEFAULT_IDENTIFIER_LIMIT),
    wildcard_certificate_disable: z.boolean().default(false),
    header_info_list: z.array(z.string()).default([]),
    /** {"name": "description or URL"} or {"name": {"description", "template", "rsa_min_bits", "curves"}} */
    profiles: z
      .record(
        profileName,
        z.union([
          z.string(),
          z
            .object({ description: z.string().default(''), template: templateName.optional() })
            .extend(keyPolicyShape.shape)
            .strict(),
        ]),
      )
      .default({}),
    profiles_check_disable: z.boolean().default(false),
    eab_profiling: z.boolean().default(false),
    /** [EABhandler] key_file: acme2certifier's kid-profile JSON/YAML (or its flat kid → hmac JSON) */
    eab_key_file: z.string().min(1).optional(),
    /** [EABhandler] eab_strict_mode: accounts need an EAB */
    eab_strict_mode: z.boolean().default(false),
    /** send the CSR's SANs as a `SAN:` request attribute too (see san-attribute.ts: ESC6); default false */
    san_request_attribute: z.boolean().default(false),
    key_policy: z.object({ acme: keyPolicyShape.optional(), scep: keyPolicyShape.optional() }).strict().default({}),
  })
  .strict();

export type PolicyFile = z.input<typeof policyFileSchema>;

/** The validated policy configuration. */
export interface PolicyConfig {
  defaultTemplate?: string;
  allowedDomainlist: readonly string[];
  allowedIplist: readonly string[];
  identifierLimit: number;
  wildcardCertificateDisable: boolean;
  headerInfoList: readonly string[];
  /** the header acme2certifier takes `template=` from: the first entry of header_info_list */
  headerInfoField?: string;
  profiles: AcmeProfiles;
  profilesCheckDisable: boolean;
  eabProfiling: boolean;
  eabKeyFile?: string;
  eabStrictMode: boolean;
  sanRequestAttribute: boolean;
  keyPolicy: Readonly<Record<EnrollProtocolName, KeyPolicy>>;
}

function keyPolicyOf(base: KeyPolicy, v: z.output<typeof keyPolicyShape> | undefined): KeyPolicy {
  return { rsaMinBits: v?.rsa_min_bits ?? base.rsaMinBits, rsaMaxBits: v?.rsa_max_bits ?? base.rsaMaxBits, curves: v?.curves ?? base.curves };
}

function partialKeyPolicy(v: z.output<typeof keyPolicyShape>): Partial<KeyPolicy> | undefined {
  const out: Partial<KeyPolicy> = {};
  if (v.rsa_min_bits !== undefined) out.rsaMinBits = v.rsa_min_bits;
  if (v.rsa_max_bits !== undefined) out.rsaMaxBits = v.rsa_max_bits;
  if (v.curves !== undefined) out.curves = v.curves;
  return Object.keys(out).length ? out : undefined;
}

/** Validates a parsed policy document; throws PolicyConfigError naming every bad key. */
export function parsePolicyConfig(doc: unknown, source = 'policy'): PolicyConfig {
  const parsed = policyFileSchema.safeParse(doc ?? {});
  if (!parsed.success)
    throw new PolicyConfigError(
      source,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  const f = parsed.data;
  const problems: string[] = [...DomainAllowList.parse(f.allowed_domainlist).problems, ...IpAllowList.parse(f.allowed_iplist).problems];
  const [headerInfoField] = f.header_info_list;
  if (headerInfoField !== undefined && headerNameOf(headerInfoField) === undefined) {
    problems.push(`header_info_list: "${headerInfoField}" is not a request header (expected HTTP_<NAME>, e.g. HTTP_USER_AGENT)`);
  }
  const profiles: Record<string, AcmeProfile> = {};
  for (const [name, v] of Object.entries(f.profiles)) {
    if (typeof v === 'string') {
      if (!isConfiguredTemplateName(name)) problems.push(`profiles.${name}: the name is used as the template and is not a template name`);
      profiles[name] = { name, description: v, template: name };
    } else {
      const keyPolicy = partialKeyPolicy(v);
      profiles[name] = { name, description: v.description, template: v.template ?? name, ...(keyPolicy ? { keyPolicy } : {}) };
    }
  }
  for (const [protocol, p] of Object.entries(f.key_policy)) {
    if (p?.rsa_min_bits !== undefined && p.rsa_max_bits !== undefined && p.rsa_min_bits > p.rsa_max_bits)
      problems.push(`key_policy.${protocol}: rsa_min_bits above rsa_max_bits`);
  }
  if (f.eab_profiling && f.eab_key_file === undefined) problems.push('eab_key_file: missing; required when eab_profiling is true');
  if (problems.length) throw new PolicyConfigError(source, problems);
  return {
    ...(f.template !== undefined ? { defaultTemplate: f.template } : {}),
    allowedDomainlist: f.allowed_domainlist,
    allowedIplist: f.allowed_iplist,
    identifierLimit: f.identifier_limit,
    wildcardCertificateDisable: f.wildcard_certificate_disable,
    headerInfoList: f.header_info_list,
    ...(headerInfoField !== undefined ? { headerInfoField } : {}),
    profiles,
    profilesCheckDisable: f.profiles_check_disable,
    eabProfiling: f.eab_profiling,
    ...(f.eab_key_file !== undefined ? { eabKeyFile: f.eab_key_file } : {}),
    eabStrictMode: f.eab_strict_mode,
    sanRequestAttribute: f.san_request_attribute,
    keyPolicy: { acme: keyPolicyOf(DEFAULT_KEY_POLICIES.acme, f.key_policy.acme), scep: keyPolicyOf(DEFAULT_KEY_POLICIES.scep, f.key_policy.scep) },
  };
}

/** Reads and validates a policy file (JSON or YAML). */
export function loadPolicyConfigFile(path: string): PolicyConfig {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8')); // YAML is a superset of JSON
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PolicyConfigError(path, [code ? `cannot read the file (${code})` : `not valid JSON or YAML: ${(e as Error).message.split('\n')[0]}`]);
  }
  return parsePolicyConfig(doc, path);
}
