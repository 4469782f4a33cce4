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

export type ScepSchema = {
  scep_transactions: ScepTransactionsTable;
  scep_challenges: ScepChallengesTable;
};
