import type { FrontendRuntime } from '@enrollgate/enrollment';
import type { Logger, Metrics } from '@enrollgate/platform';
import { AcmeAccountRepository, AcmeOrderRepository } from '@enrollgate/store';
import { AccountCache } from '../accounts/account-cache.js';
import { AccountService } from '../accounts/account.service.js';
import { CertificateStatusService } from '../ari/renewal-info.service.js';
import type { OpenedPolicy } from '@enrollgate/policy';
import { publicBaseOf, type AcmeConfig } from '../config.js';
import { RequestVerifier } from '../jose/request-verifier.js';
import { NonceStore } from '../nonce/nonce-store.js';
import { OrderService } from '../orders/order.service.js';
import { AcmePolicy } from '../policy/acme-policy.js';
import { openAcmePolicy } from '../policy/open-acme-policy.js';
import { Dns01Validator } from '../validation/dns01.js';
import { Http01Validator } from '../validation/http01.js';
import type { ChallengeValidator } from '../validation/outcome.js';
import { ValidationResolver } from '../validation/resolver.js';
import { TlsAlpn01Validator } from '../validation/tls-alpn01.js';
import { ValidationQueue } from '../validation/validation.queue.js';
import { AcmeUrls, ROUTES } from './urls.js';

/**
 * Composition root of the ACME server: everything built once from the configuration and the
 * front-end runtime. Holds no state another replica needs (nonces in Redis, the rest in the store).
 */
export class AcmeServer {
  readonly urls: AcmeUrls;
  readonly nonces: NonceStore;
  readonly verifier: RequestVerifier;
  readonly policy: AcmePolicy;
  readonly accounts: AccountService;
  readonly orders: OrderService;
  readonly certificates: CertificateStatusService;
  readonly validation: ValidationQueue;
  readonly problems;

  constructor(
    readonly config: AcmeConfig,
    runtime: FrontendRuntime,
    readonly logger: Logger,
    metrics: Metrics,
    /** opened at start-up by main (a bad file exits 2 before anything connects); else opened here */
    policy?: OpenedPolicy,
  ) {
    this.urls = new AcmeUrls(publicBaseOf(config));
    this.nonces = new NonceStore(runtime.redis, config.QUEUE_PREFIX, config.ACME_NONCE_TTL_SECONDS);
    const accountRepo = new AcmeAccountRepository(runtime.database);
    const orderRepo = new AcmeOrderRepository(runtime.database);
    const cacheSeconds = config.ACME_ACCOUNT_CACHE_SECONDS ?? 60;
    const accountCache = new AccountCache(runtime.redis, config.QUEUE_PREFIX, accountRepo, { maxAgeMs: cacheSeconds * 1000 });
    // Without a cache here, changes still bump the version: other replicas may keep one.
    this.verifier = new RequestVerifier(this.urls, this.nonces, accountRepo, 2048, cacheSeconds > 0 ? accountCache : undefined);
    const policyLogger = logger.child({ component: 'acme-policy' });
    this.policy = new AcmePolicy(policy ?? openAcmePolicy(config, policyLogger), config, metrics, policyLogger);
    this.problems = metrics.counter('acme_problems_total', 'ACME requests answered with a problem document, by type', ['type']);
    const ordersFinal = metrics.counter('acme_orders_completed_total', 'ACME orders that reached a final state', ['status']);
    const validations = metrics.counter('acme_validations_total', 'Challenge validation attempts by type and result', ['type', 'result']);

    const timeoutMs = config.ACME_VALIDATION_TIMEOUT_SECONDS * 1000;
    const resolver = new ValidationResolver(config.ACME_DNS_SERVERS, timeoutMs);
    const validators = new Map<string, ChallengeValidator>(
      [
        new Http01Validator(resolver, { port: config.ACME_HTTP01_PORT, timeoutMs }),
        new Dns01Validator(resolver),
        new TlsAlpn01Validator(resolver, { port: config.ACME_TLSALPN01_PORT, timeoutMs }),
      ].map((v) => [v.type, v]),
    );
    this.validation = new ValidationQueue(orderRepo, validators, {
      connection: runtime.redis,
      prefix: config.QUEUE_PREFIX,
      concurrency: config.ACME_VALIDATION_CONCURRENCY,
      attempts: config.ACME_VALIDATION_ATTEMPTS,
      backoffMs: config.ACME_VALIDATION_BACKOFF_MS,
      authzReuseSeconds: config.ACME_AUTHZ_REUSE_SECONDS,
      logger: logger.child({ component: 'acme-validation' }),
      onOutcome: (type, result) => validations.inc({ type, result }),
    });
    this.accounts = new AccountService(accountRepo, this.urls, {
      eabRequired: this.policy.eabRequired,
      eabKeys: this.policy.macKeys,
      termsOfService: config.ACME_TOS_URL,
      minRsaBits: 2048,
      onAccountChanged: (id) => accountCache.changed(id),
    });
    this.orders = new OrderService(
      orderRepo,
      runtime,
      this.validation,
      this.policy,
      this.urls,
      {
        orderLifetimeSeconds: config.ACME_ORDER_LIFETIME_SECONDS,
        authzLifetimeSeconds: config.ACME_AUTHZ_LIFETIME_SECONDS,
        challengeWaitMs: config.ACME_CHALLENGE_WAIT_MS,
        finalizeWaitMs: config.ACME_FINALIZE_WAIT_MS,
        retryAfterSeconds: config.ACME_RETRY_AFTER_SECONDS,
        maxProcessingSeconds: config.ACME_ORDER_MAX_PROCESSING_SECONDS,
        onOrderFinal: (status) => ordersFinal.inc({ status }),
      },
      logger.child({ component: 'acme-orders' }),
    );
    this.certificates = new CertificateStatusService(orderRepo, {
      windowStartPercent: config.ACME_ARI_WINDOW_START_PERCENT,
      windowEndPercent: config.ACME_ARI_WINDOW_END_PERCENT,
      retryAfterSeconds: config.ACME_ARI_RETRY_AFTER_SECONDS,
    });
    this.validation.startWorker();
  }

  /** The directory (RFC 8555 §7.1.1) with meta; profiles per draft-ietf-acme-profiles. */
  directory(): Record<string, unknown> {
    const c = this.config;
    const profiles = this.policy.directoryProfiles();
    return {
      newNonce: this.urls.of(ROUTES.newNonce),
      newAccount: this.urls.of(ROUTES.newAccount),
      newOrder: this.urls.of(ROUTES.newOrder),
      revokeCert: this.urls.of(ROUTES.revokeCert),
      keyChange: this.urls.of(ROUTES.keyChange),
      renewalInfo: this.urls.of(ROUTES.renewalInfo),
      meta: {
        ...(c.ACME_TOS_URL ? { termsOfService: c.ACME_TOS_URL } : {}),
        ...(c.ACME_WEBSITE ? { website: c.ACME_WEBSITE } : {}),
        ...(c.ACME_CAA_IDENTITIES.length ? { caaIdentities: c.ACME_CAA_IDENTITIES } : {}),
        externalAccountRequired: this.policy.eabRequired,
        ...(Object.keys(profiles).length ? { profiles } : {}),
      },
    };
  }

  async close(): Promise<void> {
    await this.validation.close();
    this.policy.close();
  }
}
