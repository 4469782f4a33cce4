import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { DomainAllowList } from '../identifiers/domain-list.js';
import type { IdentifierOverrides } from '../identifiers/identifier-rules.js';
import { IpAllowList } from '../identifiers/ip-list.js';
import { isConfiguredTemplateName } from '../templates/template-name.js';
import { decodeMacKey, type MacKey } from './mac-key.js';

/**
 * One kid of an EAB key-profile file, acme2certifier's `kid_profile_handler.py` format:
 *
 *   { "<kid>": { "hmac": "<base64url>",
 *                "cahandler": { "template": "T" | ["T1", "T2"], "allowed_domainlist": [...],
 *                               "ca_name": "...", "ca_pool": "..." },
 *                "order": { "allowed_domainlist": [...], "allowed_iplist": [...],
 *                           "wildcard_certificate_disable": true } } }
 *
 * and its `json_handler.py` format (`{ "<kid>": "<hmac>" }`), in JSON or YAML.
 * `ca_pool` is ours (a named wcce-worker pool); `ca_name` is acme2certifier's.
 */
export interface KidProfile {
  kid: string;
  /** absent when the kid has no usable `hmac` (it then cannot bind an account) */
  macKey?: MacKey;
  /** `cahandler.template`: a string forces it, a list restricts the client's choice (first = default) */
  template?: string | readonly string[];
  /** identifier rules of the kid (`order` section, else the deprecated `cahandler` one) */
  identifierOverrides: IdentifierOverrides;
  /** `cahandler.ca_pool`: the wcce-worker CA pool for this kid's enrollments */
  caPool?: string;
  /** `cahandler.ca_name`: the CA (pwszAuthority) for this kid's enrollments */
  caName?: string;
  /** profile keys that restrict enrollment but that we do not enforce (e.g. `cahandler.subject`): refused at enrollment */
  unsupportedRestrictions: readonly string[];
}

export interface KeyProfileSet {
  profiles: ReadonlyMap<string, KidProfile>;
  /** one line per ignored key or doubtful value; never a key's value */
  warnings: readonly string[];
  /** sha256 of the file, first 12 hex digits: which version is loaded */
  version: string;
}

/** The key file cannot be used at all (the last good version stays in force). */
export class KeyProfileFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyProfileFileError';
  }
}

const KID_SECTIONS = new Set(['hmac', 'cahandler', 'order', 'challenge', 'authorization']);
const ORDER_KEYS = ['allowed_domainlist', 'allowed_iplist', 'wildcard_certificate_disable'] as const;
/** acme2certifier keys that only relax validation (challenge_validation_disable, prevalidated_*): ignoring them is the safe side. */
const RELAXING_SECTIONS = new Set(['challenge', 'authorization']);
/** cahandler keys that restrict issuance, which we cannot enforce */
const UNSUPPORTED_RESTRICTIONS = new Set(['subject']);

type Json = unknown;

const isRecord = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** acme2certifier reads booleans from profiles as Python bools or "True"/"False" strings. */
function asBoolean(v: Json): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false|yes|no|on|off|1|0)$/i.test(v.trim())) return /^(true|yes|on|1)$/i.test(v.trim());
  return undefined;
}

function asStringList(v: Json): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

/** JSON first, then YAML, as acme2certifier does; errors name a position, never quote the file (it holds keys). */
function parseDocument(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (jsonError) {
    try {
      return parseYaml(text) as Json;
    } catch (yamlError) {
      const pos = /position (\d+)/.exec((jsonError as Error).message)?.[1];
      const line = (yamlError as { linePos?: { line: number; col: number }[] }).linePos?.[0];
      throw new KeyProfileFileError(`not valid JSON${pos ? ` (at position ${pos})` : ''} nor YAML${line ? ` (at line ${line.line}, column ${line.col})` : ''}`);
    }
  }
}

/** Parses a key-profile file. Throws KeyProfileFileError when the file as a whole is unusable. */
export function parseKeyProfileFile(text: string): KeyProfileSet {
  const doc = parseDocument(text);
  if (!isRecord(doc)) throw new KeyProfileFileError('expected an object of key ids ({"<kid>": {"hmac": "…"}})');
  const warnings: string[] = [];
  const errors: string[] = [];
  const profiles = new Map<string, KidProfile>();
  for (const [kid, entry] of Object.entries(doc)) {
    const profile = parseKid(kid, entry, warnings, errors);
    if (profile) profiles.set(kid, profile);
  }
  if (errors.length > 0) throw new KeyProfileFileError(errors.join('; '));
  return { profiles, warnings, version: createHash('sha256').update(text).digest('hex').slice(0, 12) };
}

function parseKid(kid: string, entry: Json, warnings: string[], errors: string[]): KidProfile | undefined {
  const at = (path: string) => `${kid}.${path}`;
  const hmacText = typeof entry === 'string' ? entry : isRecord(entry) ? entry['hmac'] : undefined;
  if (typeof entry !== 'string' && !isRecord(entry)) {
    errors.push(`${kid}: expected {"hmac": "…", …} or an hmac string`);
    return undefined;
  }
  const profile: KidProfile = { kid, identifierOverrides: {}, unsupportedRestrictions: [] };
  if (typeof hmacText === 'string') {
    const decoded = decodeMacKey(hmacText);
    if ('error' in decoded) warnings.push(`${at('hmac')} ${decoded.error}: this kid cannot bind accounts`);
    else {
      profile.macKey = decoded.key;
      if (decoded.key.length < 16) warnings.push(`${at('hmac')} is ${decoded.key.length} bytes; use at least 32 random bytes`);
    }
  } else warnings.push(`${at('hmac')} is missing: this kid cannot bind accounts`);
  if (!isRecord(entry)) return profile;

  for (const key of Object.keys(entry)) {
    if (!KID_SECTIONS.has(key)) warnings.push(`${at(key)} is not a known section; ignored`);
    else if (RELAXING_SECTIONS.has(key)) warnings.push(`${at(key)} (acme2certifier relaxes validation with it) is not supported; ignored`);
  }
  const restricted: string[] = [];
  const cahandler = entry['cahandler'];
  if (cahandler !== undefined && !isRecord(cahandler)) errors.push(`${at('cahandler')}: expected an object`);
  const order = entry['order'];
  if (order !== undefined && !isRecord(order)) errors.push(`${at('order')}: expected an object`);
  const ca = isRecord(cahandler) ? cahandler : {};
  const ord = isRecord(order) ? order : {};

  for (const [key, value] of Object.entries(ca)) {
    switch (key) {
      case 'template': {
        const list = asStringList(value);
        if (typeof value === 'string' && isConfiguredTemplateName(value)) profile.template = value;
        else if (list && list.length > 0 && list.every(isConfiguredTemplateName)) profile.template = list;
        else errors.push(`${at('cahandler.template')}: expected a template name or a non-empty list of them`);
        break;
      }
      case 'ca_name':
      case 'ca_pool':
        if (typeof value === 'string' && /^[^\x00-\x1f\x7f]{1,128}$/.test(value)) {
          if (key === 'ca_name') profile.caName = value;
          else profile.caPool = value;
        } else errors.push(`${at(`cahandler.${key}`)}: expected a name`);
        break;
      case 'allowed_domainlist':
      case 'allowed_iplist':
      case 'wildcard_certificate_disable':
        // deprecated location (acme2certifier warns too); the order section wins
        if (!(key in ord)) ord[key] = value;
        break;
      default:
        if (UNSUPPORTED_RESTRICTIONS.has(key)) {
          restricted.push(`cahandler.${key}`);
          warnings.push(`${at(`cahandler.${key}`)} restricts issuance but is not supported: enrollments of this kid are refused`);
        } else warnings.push(`${at(`cahandler.${key}`)} is not used by this server; ignored`);
    }
  }
  for (const [key, value] of Object.entries(ord)) {
    if (!(ORDER_KEYS as readonly string[]).includes(key)) {
      warnings.push(`${at(`order.${key}`)} is not used by this server; ignored`);
      continue;
    }
    if (key === 'wildcard_certificate_disable') {
      const flag = asBoolean(value);
      if (flag === undefined) errors.push(`${at(key)}: expected true or false`);
      else profile.identifierOverrides.wildcardCertificateDisable = flag;
      continue;
    }
    const list = asStringList(value);
    if (list === undefined) {
      errors.push(`${at(key)}: expected a list of strings`);
      continue;
    }
    if (key === 'allowed_domainlist') {
      const compiled = DomainAllowList.parse(list);
      warnings.push(...compiled.problems.map((p) => `${kid}.${p} (never matches)`));
      profile.identifierOverrides.allowedDomainlist = compiled;
    } else {
      const compiled = IpAllowList.parse(list);
      warnings.push(...compiled.problems.map((p) => `${kid}.${p} (never matches)`));
      profile.identifierOverrides.allowedIplist = compiled;
    }
  }
  profile.unsupportedRestrictions = restricted;
  return profile;
}
