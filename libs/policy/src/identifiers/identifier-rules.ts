import { DomainAllowList } from './domain-list.js';
import { IpAllowList } from './ip-list.js';

/** Where a rule's value came from: the [Order] configuration, or the account's EAB key profile. */
export type RuleSource = 'config' | 'eab';

export interface SourcedRule<T> {
  value: T;
  source: RuleSource;
}

/** acme2certifier's [Order] identifier options, compiled. */
export interface IdentifierRules {
  /** `identifier_limit` (acme2certifier default 20) */
  identifierLimit: number;
  /** `wildcard_certificate_disable` */
  wildcardCertificateDisable: SourcedRule<boolean>;
  /** `allowed_domainlist` (empty: no restriction) */
  allowedDomainlist: SourcedRule<DomainAllowList>;
  /** `allowed_iplist` (empty: no restriction) */
  allowedIplist: SourcedRule<IpAllowList>;
}

/** The per-kid overrides of an EAB key profile (its `order` section, or the deprecated `cahandler` one). */
export interface IdentifierOverrides {
  allowedDomainlist?: DomainAllowList;
  allowedIplist?: IpAllowList;
  wildcardCertificateDisable?: boolean;
}

export interface IdentifierRulesConfig {
  allowedDomainlist: readonly string[];
  allowedIplist: readonly string[];
  identifierLimit: number;
  wildcardCertificateDisable: boolean;
}

export const DEFAULT_IDENTIFIER_LIMIT = 20;

export function compileIdentifierRules(config: IdentifierRulesConfig): IdentifierRules {
  return {
    identifierLimit: config.identifierLimit,
    wildcardCertificateDisable: { value: config.wildcardCertificateDisable, source: 'config' },
    allowedDomainlist: { value: DomainAllowList.parse(config.allowedDomainlist), source: 'config' },
    allowedIplist: { value: IpAllowList.parse(config.allowedIplist), source: 'config' },
  };
}

/**
 * The rules for one request: the kid's values replace the configured ones where the kid sets
 * them (acme2certifier Order._load_eab_profile_param: an explicit `[]` or `false` in the kid's
 * profile counts). A new object every time: nothing of one request reaches the next.
 */
export function withOverrides(base: IdentifierRules, overrides: IdentifierOverrides | undefined): IdentifierRules {
  if (!overrides) return base;
  return {
    identifierLimit: base.identifierLimit,
    wildcardCertificateDisable:
      overrides.wildcardCertificateDisable === undefined ? base.wildcardCertificateDisable : { value: overrides.wildcardCertificateDisable, source: 'eab' },
    allowedDomainlist: overrides.allowedDomainlist === undefined ? base.allowedDomainlist : { value: overrides.allowedDomainlist, source: 'eab' },
    allowedIplist: overrides.allowedIplist === undefined ? base.allowedIplist : { value: overrides.allowedIplist, source: 'eab' },
  };
}
