import { isIP } from 'node:net';
import type { CsrInfo, SanType } from '@enrollgate/pki';
import { reject, type PolicyDecision, type PolicyIdentifier, type PolicyRule, type PolicySubproblem, type Rejection } from '../decision.js';
import { byWhom, summarise } from './identifier-policy.js';
import type { IdentifierRules, RuleSource } from './identifier-rules.js';

/** A name the CSR asks for: its CN or one of its SANs. */
export interface CsrName {
  from: 'cn' | 'san';
  type: SanType;
  value: string;
}

/** The CN (as an IP or a DNS name candidate) and every SAN, CN first, duplicates of the CN dropped. */
export function csrNamesOf(csr: Pick<CsrInfo, 'commonName' | 'sans'>): CsrName[] {
  const out: CsrName[] = [];
  const cn = csr.commonName?.trim();
  if (cn) out.push({ from: 'cn', type: isIP(cn) !== 0 ? 'ip' : 'dns', value: cn.toLowerCase() });
  for (const san of csr.sans) {
    const value = san.type === 'dns' || san.type === 'email' || san.type === 'upn' ? san.value.toLowerCase() : san.value;
    if (out.some((n) => n.from === 'cn' && n.type === san.type && n.value === value)) continue;
    out.push({ from: 'san', type: san.type, value });
  }
  return out;
}

export interface CsrNameResult extends PolicyDecision {
  name: CsrName;
  detail?: string;
}

export interface CsrNamesAllowed extends PolicyDecision {
  decision: 'allow';
  rule: 'csr.names_allowed';
  results: CsrNameResult[];
}

export interface CsrNamesRejected extends Rejection {
  results: CsrNameResult[];
}

export type CsrNamesDecision = CsrNamesAllowed | CsrNamesRejected;

const REJECTED = 'urn:ietf:params:acme:error:rejectedIdentifier' as const;

const csrRule = (source: RuleSource, name: 'wildcard_certificate_disable' | 'allowed_domainlist' | 'allowed_iplist'): PolicyRule =>
  source === 'eab' ? `csr.eab_${name}` : `csr.${name}`;

function checkName(name: CsrName, rules: IdentifierRules): CsrNameResult {
  const allow = (rule: PolicyRule): CsrNameResult => ({ decision: 'allow', rule, name });
  const deny = (rule: PolicyRule, detail: string): CsrNameResult => ({ decision: 'reject', rule, name, detail });
  const { allowedDomainlist: dl, allowedIplist: il, wildcardCertificateDisable: wc } = rules;
  const label = name.from === 'cn' ? 'CN' : 'SAN';
  switch (name.type) {
    case 'dns':
      if (wc.value && name.value.startsWith('*.'))
        return deny(csrRule(wc.source, 'wildcard_certificate_disable'), `Wildcard ${label} ${name.value} not allowed`);
      return dl.value.allows(name.value)
        ? allow(csrRule(dl.source, 'allowed_domainlist'))
        : deny(csrRule(dl.source, 'allowed_domainlist'), `${label} ${name.value} not allowed by ${byWhom(dl.source)}`);
    case 'ip':
      return il.value.allows(name.value)
        ? allow(csrRule(il.source, 'allowed_iplist'))
        : deny(csrRule(il.source, 'allowed_iplist'), `${label} IP address ${name.value} not allowed by ${byWhom(il.source)}`);
    case 'email':
    case 'upn': {
      // acme2certifier checks the domain part of a name with an "@" against the domain list
      const domain = name.value.slice(name.value.lastIndexOf('@') + 1);
      return dl.value.allows(domain)
        ? allow(csrRule(dl.source, 'allowed_domainlist'))
        : deny(csrRule(dl.source, 'allowed_domainlist'), `${label} ${name.type} ${name.value} not allowed by ${byWhom(dl.source)}`);
    }
    default:
      // URIs, directory names, registered IDs and other otherNames cannot be held against a
      // domain list: refuse them when one restricts, rather than let them through unchecked.
      return dl.value.restricts
        ? deny('csr.san_type', `SAN of type ${name.type} cannot be checked against allowed_domainlist`)
        : allow(csrRule(dl.source, 'allowed_domainlist'));
  }
}

/**
 * The CSR side of the allow-lists (acme2certifier allowed_domainlist_check, applied by its CA
 * handler at enrollment): the CN and every SAN must be allowed. ACME orders were already checked
 * at newOrder, but this also covers SCEP (no order) and an EAB profile changed since newOrder.
 * `unsupportedRestrictions` are EAB profile keys that restrict what we cannot enforce: refused.
 */
export function checkCsrNames(names: readonly CsrName[], rules: IdentifierRules, unsupportedRestrictions: readonly string[] = []): CsrNamesDecision {
  const [unsupported] = unsupportedRestrictions;
  if (unsupported !== undefined) {
    return {
      ...reject('csr.eab_unsupported_restriction', {
        type: 'urn:ietf:params:acme:error:unauthorized',
        detail: `the account's EAB profile sets ${unsupportedRestrictions.join(', ')}, which this server does not enforce; enrollment refused rather than unrestricted`,
      }),
      results: [],
    };
  }
  if (names.length > rules.identifierLimit) {
    // acme-api already limited the order's identifiers at newOrder (its CSR names equal them); a SCEP
    // request has no order, so its CSR is where the names are counted
    return {
      ...reject('order.identifier_limit', {
        type: REJECTED,
        detail: `identifier limit exceeded: the CSR names ${names.length} identifiers (CN and SANs), at most ${rules.identifierLimit}`,
      }),
      results: [],
    };
  }
  if (names.length === 0 && (rules.allowedDomainlist.value.restricts || rules.allowedIplist.value.restricts)) {
    return {
      ...reject('csr.no_names', { type: 'urn:ietf:params:acme:error:badCSR', detail: 'CSR has neither a CN nor SANs to check against the allow-lists' }),
      results: [],
    };
  }
  const results = names.map((n) => checkName(n, rules));
  const rejected = results.filter((r) => r.decision === 'reject');
  const [first] = rejected;
  if (first === undefined) return { decision: 'allow', rule: 'csr.names_allowed', results };
  const source = rejected.some((r) => r.rule.startsWith('csr.eab_')) ? 'eab' : 'config';
  const subproblems: PolicySubproblem[] = rejected.map((r) => ({ type: REJECTED, detail: r.detail ?? '', identifier: toIdentifier(r.name) }));
  return {
    ...reject(first.rule, {
      type: REJECTED,
      detail: `Either CN or SANs are not allowed by ${byWhom(source)}: ${summarise(rejected.map((r) => r.detail ?? ''))}`,
      subproblems,
    }),
    results,
  };
}

function toIdentifier(name: CsrName): PolicyIdentifier {
  return { type: name.type, value: name.value };
}
