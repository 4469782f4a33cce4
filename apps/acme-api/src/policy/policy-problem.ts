import type { PolicyProblem, PolicyProblemType } from '@enrollgate/policy';
import { AcmeProblem, type ProblemType } from '../acme/problems.js';

/** Where the policy decided: newOrder (identifiers, profile) or finalize (CSR, key, template). */
export type PolicyStage = 'newOrder' | 'finalize';

/**
 * The ACME problem type of a policy problem type. Exhaustive: a type the policy adds must be
 * placed here. At finalize an unacceptable CSR key is `badCSR` (RFC 8555 §6.7: "The CSR is
 * unacceptable (e.g., due to a short key)"; badPublicKey is about the JWS key).
 */
export function acmeProblemType(type: PolicyProblemType, stage: PolicyStage): ProblemType {
  switch (type) {
    case 'urn:ietf:params:acme:error:rejectedIdentifier':
      return 'rejectedIdentifier';
    case 'urn:ietf:params:acme:error:unsupportedIdentifier':
      return 'unsupportedIdentifier';
    case 'urn:ietf:params:acme:error:invalidProfile':
      return 'invalidProfile';
    case 'urn:ietf:params:acme:error:unauthorized':
      return 'unauthorized';
    case 'urn:ietf:params:acme:error:badCSR':
      return 'badCSR';
    case 'urn:ietf:params:acme:error:badPublicKey':
      return stage === 'finalize' ? 'badCSR' : 'badPublicKey';
    case 'urn:ietf:params:acme:error:malformed':
      return 'malformed';
    case 'urn:ietf:params:acme:error:serverInternal':
      return 'serverInternal';
  }
}

/** A policy rejection as the RFC 8555 problem document it carries, one subproblem per identifier (§6.7.1). */
export function acmeProblemOf(problem: PolicyProblem, stage: PolicyStage): AcmeProblem {
  const subproblems = problem.subproblems?.map((s) => ({ type: acmeProblemType(s.type, stage), detail: s.detail, identifier: { ...s.identifier } }));
  return new AcmeProblem(acmeProblemType(problem.type, stage), problem.detail, subproblems ? { subproblems } : {});
}
