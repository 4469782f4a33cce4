/** Tables of migration 0003_scep, as both dialects return them (text, numbers). */
export type ScepTransactionsTable = {
  request_key: string;
  transaction_id: string;
  profile: string;
  signer_key_sha256: string;
  message_type: number;
  csr_sha256: string;
  challenge_id: string | null;
  /** lower-case hex serial of the certificate sent in a SUCCESS (GetCert finds it by this) */
  certificate_serial: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
};

export type ScepChallengesTable = {
  id: string;
  challenge_sha256: string;
  source: string;
  profile: string | null;
  /** JSON of ChallengeBinding */
  binding: string | null;
  created_at: string;
  expires_at: string;
  consumed_at: string | null;
  consumed_by: string | null;
};

/** Table of migration 0005_scep_ra_identities. */
export type ScepRaIdentitiesTable = {
  id: string;
  usage: 'signing' | 'encryption';
  generation: number;
  status: 'pending' | 'issued';
  request_key: string;
  template: string;
  /** DER PKCS#10, base64 */
  csr: string;
  /** PKCS#8 PEM sealed with AES-256-GCM (see RaKeyCipher) */
  private_key: string;
  certificate: string | null;
  /** lower-case hex */
  serial: string | null;
  /** PEM, issuing CA first */
  chain: string | null;
  not_after: string | null;
  created_at: string;
  issued_at: string | null;
};

export type ScepSchema = {
  scep_transactions: ScepTransactionsTable;
  scep_challenges: ScepChallengesTable;
  scep_ra_identities: ScepRaIdentitiesTable;
};
