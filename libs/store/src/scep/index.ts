export type { ScepSchema, ScepTransactionsTable, ScepChallengesTable } from './schema.js';
export { ScepTransactionRepository, type ScepTransaction, type NewScepTransaction } from './transactions.repository.js';
export { ScepChallengeRepository, challengeHash, type ChallengeBinding, type ScepChallenge, type ConsumeOutcome } from './challenges.repository.js';
