import { isIP } from 'node:net';
import { reject, type PolicyDecision, type PolicyIdentifier, type PolicyRule, type PolicySubproblem, type Rejection } from '../decision.js';
import type { IdentifierRules, RuleSource } from './identifier-rules.js';

/** How one identifier fared. */
export interface IdentifierResult extends PolicyDecision {
  identifier: PolicyIdentifier;
  /** the allow-list entry that allowed it, when a list restricted it */
  matched?: string;
  detail?: string;
}

export interface IdentifiersAllowed extends PolicyDecision {
  decision: 'allow';
  rule: 'order.identifiers_allowed';
  results: IdentifierResult[];
}

export interface IdentifiersRejected extends Rejection {
  results: IdentifierResult[];
}

export type IdentifierDecision = IdentifiersAllowed | IdentifiersRejected;

const REJECTED = 'urn:ietf:params:acme:error:rejectedIdentifier' as const;
const UNSUPPORTED = 'urn:ietf:params:acme:error:unsupportedIdentifier' as const;

/** acme2certifier says "by configuration" for [Order] lists and "by profile" for an EAB kid's. */
export const byWhom = (source: RuleSource): string => (source === 'eab' ? 'profile' : 'configuration');

const ruleOf = (source: RuleSource, name: 'wildcard_certificate_disable' | 'allowed_domainlist' | 'allowed_iplist'): PolicyRule =>
  source === 'eab' ? `eab.${name}` : `order.${name}`;

function checkOne(identifier: PolicyIdentifier, rules: IdentifierRules): IdentifierResult {
  const allow = (rule: PolicyRule, matched?: string): IdentifierResult => ({ decision: 'allow', rule, identifier, ...(matched ? { matched } : {}) });
  const deny = (rule: PolicyRule, detail: string): IdentifierResult => ({ decision: 'reject', rule, identifier, detail });
  switch (identifier.type) {
    case 'dns': {
      const { wildcardCertificateDisable: wc, allowedDomainlist: dl } = rules;
      if (wc.value && identifier.value.startsWith('*.'))
        return deny(ruleOf(wc.source, 'wildcard_certificate_disable'), `Wildcard identifier ${identifier.value} not allowed`);
      if (!dl.value.restricts) return allow(ruleOf(dl.source, 'allowed_domainlist'));
      const matched = dl.value.match(identifier.value);
      return matched !== undefined
        ? allow(ruleOf(dl.source, 'allowed_domainlist'), matched)
        : deny(ruleOf(dl.source, 'allowed_domainlist'), `FQDN/SAN ${identifier.value} not allowed by ${byWhom(dl.source)}`);
    }
    case 'ip': {
      const il = rules.allowedIplist;
      if (isIP(identifier.value) === 0) return deny(ruleOf(il.source, 'allowed_iplist'), `identifier value ${identifier.value} not allowed`);
      return il.value.allows(identifier.value)
        ? allow(ruleOf(il.source, 'allowed_iplist'))
        : deny(ruleOf(il.source, 'allowed_iplist'), `IP address ${identifier.value} not allowed by ${byWhom(il.source)}`);
    }
    default:
      return deny('order.identifier_type', `Identifier type ${identifier.type} not supported`);
  }
}

/** Joins per-name rejections into one detail: the first in full, then a count. */
export function summarise(details: readonly string[]): string {
  const [first] = details;
  if (first === undefined) return '';
  return details.length === 1 ? first : `${first} (and ${details.length - 1} more, see subproblems)`;
}

/**
 * The newOrder identifier policy (acme2certifier Order._check_identifiers_validity): the
 * identifier limit, then for every identifier wildcard_certificate_disable and
 * allowed_domainlist (DNS) or allowed_iplist (IP). Unlike acme2certifier, which stops at the
 * first bad identifier, every rejected identifier gets its own subproblem (RFC 8555 §6.7.1).
 * Expects identifiers as acme-api has validated and lower-cased them.
 */
export function checkIdentifiers(identifiers: readonly PolicyIdentifier[], rules: IdentifierRules): IdentifierDecision {
  if (identifiers.length > rules.identifierLimit) {
    return {
      ...reject('order.identifier_limit', {
        type: REJECTED,
        detail: `identifier limit exceeded: ${identifiers.length} identifiers, at most ${rules.identifierLimit} per order`,
      }),
      results: [],
    };
  }
  const results = identifiers.map((id) => checkOne(id, rules));
  const rejected = results.filter((r) => r.decision === 'reject');
  const [first] = rejected;
  if (first === undefined) return { decision: 'allow', rule: 'order.identifiers_allowed', results };
  const subproblems: PolicySubproblem[] = rejected.map((r) => ({
    type: r.rule === 'order.identifier_type' ? UNSUPPORTED : REJECTED,
    detail: r.detail ?? '',
    identifier: r.identifier,
  }));
  const allUnsupported = rejected.every((r) => r.rule === 'order.identifier_type');
  return {
    ...reject(first.rule, { type: allUnsupported ? UNSUPPORTED : REJECTED, detail: summarise(rejected.map((r) => r.detail ?? '')), subproblems }),
    results,
  };
}
