export type { ScepSchema, ScepTransactionsTable, ScepChallengesTable } from './schema.js';
export { ScepTransactionRepository, type ScepTransaction, type NewScepTransaction } from './transactions.repository.js';
export { ScepChallengeRepository, challengeHash, type ChallengeBinding, type ScepChallenge, type ConsumeOutcome } from './challenges.repository.js';
export type { ScepRaIdentitiesTable } from './schema.js';
export { RaKeyCipher, RaKeyDecryptionError } from './ra-key-cipher.js';
export { ScepRaIdentityRepository, type RaClaim, type RaIdentityUsage, type StoredRaIdentity } from './ra-identities.repository.js';
