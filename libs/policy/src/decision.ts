/**
 * The shape of every policy decision: `{decision, rule}` plus what the caller needs to act on it.
 * `rule` names the one rule that decided, from a closed list (POLICY_RULES), so it can label the
 * `enrollgate_policy_decisions_total{decision,rule}` counter without unbounded cardinality.
 */

/** RFC 8555 §6.7 error namespace. */
export const ACME_ERROR_NS = 'urn:ietf:params:acme:error:';

/** The ACME problem types a policy rejection can carry (draft-ietf-acme-profiles adds invalidProfile). */
export type PolicyProblemType =
  | 'urn:ietf:params:acme:error:rejectedIdentifier'
  | 'urn:ietf:params:acme:error:unsupportedIdentifier'
  | 'urn:ietf:params:acme:error:invalidProfile'
  | 'urn:ietf:params:acme:error:unauthorized'
  | 'urn:ietf:params:acme:error:badCSR'
  | 'urn:ietf:params:acme:error:badPublicKey'
  | 'urn:ietf:params:acme:error:malformed'
  | 'urn:ietf:params:acme:error:serverInternal';

export interface PolicyIdentifier {
  type: string;
  value: string;
}

/** RFC 8555 §6.7.1 subproblem, exactly as it goes on the wire. */
export interface PolicySubproblem {
  type: PolicyProblemType;
  detail: string;
  identifier: PolicyIdentifier;
}

/** What a rejection tells the client (ACME problem document; SCEP maps it to failInfo badRequest). */
export interface PolicyProblem {
  type: PolicyProblemType;
  detail: string;
  subproblems?: PolicySubproblem[];
}

/** The short name of a problem type (`rejectedIdentifier`), for callers that prefix the namespace themselves. */
export function problemTypeName(type: PolicyProblemType): string {
  return type.slice(ACME_ERROR_NS.length);
}

/** Every rule that can decide, grouped by the check it belongs to. The metric's `rule` label takes exactly these values. */
export const POLICY_RULES = [
  // identifiers of a newOrder ([Order] options, or the EAB kid's overrides: eab.*)
  'order.identifier_limit',
  'order.identifier_type',
  'order.wildcard_certificate_disable',
  'order.allowed_domainlist',
  'order.allowed_iplist',
  'order.identifiers_allowed',
  'eab.wildcard_certificate_disable',
  'eab.allowed_domainlist',
  'eab.allowed_iplist',
  'eab.unsupported_restriction',
  'eab.unknown_kid',
  // the CSR's CN and SANs at finalize / PKIOperation
  'csr.no_names',
  'csr.san_type',
  'csr.wildcard_certificate_disable',
  'csr.allowed_domainlist',
  'csr.allowed_iplist',
  'csr.eab_allowed_domainlist',
  'csr.eab_allowed_iplist',
  'csr.eab_wildcard_certificate_disable',
  'csr.eab_unsupported_restriction',
  'csr.names_allowed',
  // the CSR's public key
  'key.type',
  'key.rsa_min_bits',
  'key.rsa_max_bits',
  'key.curve',
  'key.allowed',
  // ACME profile of a newOrder
  'profile.none',
  'profile.offered',
  'profile.check_disabled',
  'profile.unknown',
  'profile.eab_forced',
  'profile.eab_list',
  'profile.eab_not_allowed',
  // template resolution (priority: EAB profile → ACME profile → header → default)
  'template.eab_forced',
  'template.eab_list_choice',
  'template.eab_list_default',
  'template.eab_list_not_allowed',
  'template.eab_header_not_allowed',
  'template.acme_profile',
  'template.header',
  'template.header_invalid',
  'template.default',
  'template.missing',
  // SAN request attribute (EDITF_ATTRIBUTESUBJECTALTNAME2 / ESC6)
  'san_attribute.disabled',
  'san_attribute.enabled',
  'san_attribute.unsupported_type',
] as const;

export type PolicyRule = (typeof POLICY_RULES)[number];

export type DecisionOutcome = 'allow' | 'reject';

/** The part of every decision a metric or log line needs. */
export interface PolicyDecision {
  decision: DecisionOutcome;
  rule: PolicyRule;
}

export interface Rejection extends PolicyDecision {
  decision: 'reject';
  problem: PolicyProblem;
}

export function reject(rule: PolicyRule, problem: PolicyProblem): Rejection {
  return { decision: 'reject', rule, problem };
}

export function isRejection(d: PolicyDecision): d is Rejection {
  return d.decision === 'reject';
}
