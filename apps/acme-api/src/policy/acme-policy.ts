import type { CsrInfo } from '@enrollgate/pki';
import type { Logger, Metrics } from '@enrollgate/platform';
import { PolicyMetrics, type OpenedPolicy, type Policy, type PolicyIdentifier, type RequestHeaders } from '@enrollgate/policy';
import type { AcmeAccount, AcmeOrder, AcmeOrderEnrollment } from '@enrollgate/store';
import { eabKeysOf, type AcmeConfig } from '../config.js';
import { acmeProblemOf } from './policy-problem.js';

/** A MAC key by EAB kid (RFC 8555 §7.3.4), looked up at every newAccount. */
export interface EabKeyLookup {
  get(kid: string): Buffer | undefined;
}

/**
 * acme-api's one door to libs/policy: newOrder and finalize decisions as ACME problems, the
 * directory's profiles, and the EAB MAC keys (ACME_EAB_KEYS and the policy's key file, which
 * reloads by itself). Every decision is counted (enrollgate_policy_decisions_total{decision,rule})
 * and logged as {decision, rule}; never a MAC key or a header value.
 */
export class AcmePolicy {
  private readonly policy: Policy;
  private readonly metrics: PolicyMetrics;
  private readonly envKeys: ReadonlyMap<string, Buffer>;
  private readonly fileKeys: ReadonlyMap<string, Buffer> | undefined;
  /** ACME_EAB_KEYS first-class kids, then the key file's: live, so a reload adds or removes kids without a restart. */
  readonly macKeys: EabKeyLookup;

  constructor(
    private readonly opened: OpenedPolicy,
    private readonly config: Pick<AcmeConfig, 'ACME_EAB_KEYS' | 'ACME_EAB_REQUIRED'>,
    metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.policy = opened.policy;
    this.metrics = new PolicyMetrics(metrics, logger);
    this.envKeys = eabKeysOf(config);
    this.fileKeys = opened.keyProfiles?.macKeyMap();
    this.macKeys = { get: (kid) => this.fileKeys?.get(kid) ?? this.envKeys.get(kid) };
  }

  /** newAccount needs an external account binding (ACME_EAB_REQUIRED or the policy's eab_strict_mode). */
  get eabRequired(): boolean {
    return this.config.ACME_EAB_REQUIRED || this.policy.eabRequired;
  }

  /** The directory's meta.profiles (draft-ietf-acme-profiles). */
  directoryProfiles(): Record<string, string> {
    return this.policy.directoryProfiles();
  }

  /**
   * The profile the order records, or the policy's refusal as a problem (rejectedIdentifier with
   * one subproblem per identifier, invalidProfile, unauthorized for a withdrawn kid).
   */
  newOrder(account: AcmeAccount, identifiers: readonly PolicyIdentifier[], profile: string | undefined): string | null {
    const result = this.policy.newOrder({ identifiers, ...(profile !== undefined ? { profile } : {}), eabKid: this.policyKid(account.eabKid) });
    this.metrics.observe(result, { accountId: account.id });
    if (result.decision === 'reject') throw acmeProblemOf(result.problem, 'newOrder');
    this.logger.info({ accountId: account.id, decision: result.decision, rule: result.rule, profile: result.profile }, 'policy allowed the order');
    return result.profile;
  }

  /**
   * The enrollment parameters of a finalize (template, CA pool and CA, request attributes), from
   * this request only: the order's profile, the account's kid and THIS request's headers
   * (acme2certifier takes `template=` from header_info_list at finalize). Nothing carries over
   * from another request (acme2certifier #190).
   */
  enrollment(order: AcmeOrder, account: AcmeAccount, csr: CsrInfo, headers: RequestHeaders): AcmeOrderEnrollment {
    const result = this.policy.enrollment({ protocol: 'acme', csr, orderProfile: order.profile, eabKid: this.policyKid(account.eabKid), headers });
    this.metrics.observe(result, { orderId: order.id });
    if (result.decision === 'reject') throw acmeProblemOf(result.problem, 'finalize');
    const e = result.enrollment;
    this.logger.info(
      {
        orderId: order.id,
        decision: result.decision,
        rule: result.rule,
        template: e.template,
        templateSource: e.templateSource,
        caPool: e.caPool,
        caName: e.caName,
      },
      'policy allowed the enrollment',
    );
    return { template: e.template, caPool: e.caPool ?? null, caName: e.caName ?? null, attributes: e.attributes };
  }

  /**
   * The kid the policy sees. A kid of ACME_EAB_KEYS that the key file does not hold has no
   * profile (like acme2certifier's flat json_handler keys); a kid of the key file is the policy's,
   * and one removed from it is refused there (eab.unknown_kid).
   */
  private policyKid(kid: string | null): string | null {
    if (kid === null) return null;
    if (this.fileKeys?.has(kid) !== true && this.opened.keyProfiles?.profile(kid) === undefined && this.envKeys.has(kid)) return null;
    return kid;
  }

  close(): void {
    this.opened.close();
  }
}
