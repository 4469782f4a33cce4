export * from './schema.js';
export * from './records.js';
export { AcmeAccountRepository, type NewAcmeAccount, type CreateAccountOutcome } from './accounts.repository.js';
export {
  AcmeOrderRepository,
  type NewAcmeOrder,
  type NewAcmeAuthorization,
  type NewAcmeChallenge,
  type OrderPatch,
  type ValidationTarget,
  type ChallengeOutcome,
} from './orders.repository.js';
