/**
 * ACME tables (migration 0002_acme) as both dialects return them: text, numbers, ISO-8601 text
 * timestamps, JSON as text. Repositories use them through `db.withTables<AcmeTables>()`.
 */
export const ACME_ACCOUNT_STATUSES = ['valid', 'deactivated', 'revoked'] as const;
export type AcmeAccountStatus = (typeof ACME_ACCOUNT_STATUSES)[number];
export const ACME_ORDER_STATUSES = ['pending', 'ready', 'processing', 'valid', 'invalid'] as const;
export type AcmeOrderStatus = (typeof ACME_ORDER_STATUSES)[number];
export const ACME_AUTHZ_STATUSES = ['pending', 'valid', 'invalid', 'deactivated', 'expired', 'revoked'] as const;
export type AcmeAuthzStatus = (typeof ACME_AUTHZ_STATUSES)[number];
export const ACME_CHALLENGE_STATUSES = ['pending', 'processing', 'valid', 'invalid'] as const;
export type AcmeChallengeStatus = (typeof ACME_CHALLENGE_STATUSES)[number];
export type AcmeIdentifierType = 'dns' | 'ip';

export interface AcmeAccountsTable {
  id: string;
  status: AcmeAccountStatus;
  /** The account's public key as a JWK (JSON, only the key's members). */
  jwk: string;
  jwk_thumbprint: string;
  /** JSON array of contact URLs */
  contact: string;
  tos_agreed: number;
  eab_kid: string | null;
  created_at: string;
  updated_at: string;
}

export interface AcmeOrdersTable {
  id: string;
  account_id: string;
  status: AcmeOrderStatus;
  /** JSON array of {type, value} */
  identifiers: string;
  /** JSON array of authorization ids, in identifier order */
  authorization_ids: string;
  profile: string | null;
  /** AD CS template, decided at finalize; '' before (NOT NULL since 0002) */
  template: string;
  /** CA pool and CA name of the enrollment, decided at finalize (0004) */
  ca_pool: string | null;
  ca_name: string | null;
  /** JSON object of extra MS-ICPR request attributes, decided at finalize (0004) */
  request_attributes: string | null;
  expires: string;
  /** JSON problem document */
  error: string | null;
  /** DER PKCS#10, base64 (finalize) */
  csr: string | null;
  enrollment_key: string | null;
  resubmits: number;
  processing_since: string | null;
  /** ARI certID of the certificate this order replaces (RFC 9773 §5) */
  replaces: string | null;
  /** lower-case hex serial of the issued certificate */
  cert_serial: string | null;
  /** lower-case hex authority key identifier of the issued certificate */
  cert_aki: string | null;
  cert_not_before: string | null;
  cert_not_after: string | null;
  created_at: string;
  updated_at: string;
}

export interface AcmeAuthorizationsTable {
  id: string;
  account_id: string;
  identifier_type: AcmeIdentifierType;
  identifier_value: string;
  wildcard: number;
  status: AcmeAuthzStatus;
  expires: string;
  created_at: string;
  updated_at: string;
}

export interface AcmeOrderAuthorizationsTable {
  order_id: string;
  authorization_id: string;
  position: number;
}

export interface AcmeChallengesTable {
  id: string;
  authorization_id: string;
  type: string;
  token: string;
  status: AcmeChallengeStatus;
  validated: string | null;
  /** JSON problem document */
  error: string | null;
  created_at: string;
  updated_at: string;
}

export type AcmeTables = {
  acme_accounts: AcmeAccountsTable;
  acme_orders: AcmeOrdersTable;
  acme_authorizations: AcmeAuthorizationsTable;
  acme_order_authorizations: AcmeOrderAuthorizationsTable;
  acme_challenges: AcmeChallengesTable;
};
