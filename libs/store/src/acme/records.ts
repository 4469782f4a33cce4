import type { AcmeAccountStatus, AcmeAuthzStatus, AcmeChallengeStatus, AcmeIdentifierType, AcmeOrderStatus } from './schema.js';

/** Decoded ACME rows, as the ACME front-end works with them. Absent values are null. */
export interface AcmeIdentifier {
  type: AcmeIdentifierType;
  value: string;
}

/** A problem document as persisted for an order or challenge (RFC 8555 §6.7). */
export interface StoredProblem {
  type: string;
  detail: string;
  status: number;
  subproblems?: { type: string; detail: string; identifier?: { type: string; value: string } }[];
}

export interface AcmeAccount {
  id: string;
  status: AcmeAccountStatus;
  /** Public JWK members only (kty, n, e / crv, x, y). */
  jwk: Record<string, string>;
  jwkThumbprint: string;
  contact: string[];
  termsOfServiceAgreed: boolean;
  eabKid: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The enrollment parameters of an order, fixed at finalize so every resubmission uses the same. */
export interface AcmeOrderEnrollment {
  /** AD CS certificate template */
  template: string;
  /** named CA pool of the worker; null: routed by template or the default pool */
  caPool: string | null;
  /** the CA within the pool (an EAB kid's `ca_name`); null: any CA of the pool */
  caName: string | null;
  /** extra MS-ICPR request attributes (Name → Value) */
  attributes: Record<string, string>;
}

export interface AcmeOrder {
  id: string;
  accountId: string;
  status: AcmeOrderStatus;
  identifiers: AcmeIdentifier[];
  profile: string | null;
  /** What the order enrolls with: decided by the policy at finalize, null before. */
  enrollment: AcmeOrderEnrollment | null;
  expires: string;
  error: StoredProblem | null;
  csr: string | null;
  enrollmentKey: string | null;
  resubmits: number;
  processingSince: string | null;
  replaces: string | null;
  certificate: { serial: string; aki: string | null; notBefore: string; notAfter: string } | null;
  /** Authorization ids in identifier order. */
  authorizationIds: string[];
  createdAt: string;
  updatedAt: string;
}

export interface AcmeChallenge {
  id: string;
  authorizationId: string;
  type: string;
  token: string;
  status: AcmeChallengeStatus;
  validated: string | null;
  error: StoredProblem | null;
}

export interface AcmeAuthorization {
  id: string;
  accountId: string;
  identifier: AcmeIdentifier;
  wildcard: boolean;
  status: AcmeAuthzStatus;
  expires: string;
  challenges: AcmeChallenge[];
}
