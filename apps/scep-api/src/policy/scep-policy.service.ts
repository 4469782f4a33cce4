/**
 * The enrollment policy of PKIOperation: libs/policy, the implementation acme-api uses, on the
 * CSR's CN and SANs (allowed_domainlist, allowed_iplist, wildcard_certificate_disable,
 * identifier_limit), its key (the profile's key policy) and the SAN request attribute, with the
 * profile's NDES template as the default template. Every check is counted in
 * enrollgate_policy_decisions_total{decision,rule} on the app's registry.
 */
import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, Metrics, type Logger } from '@enrollgate/platform';
import { Policy, PolicyMetrics, type PolicyRule } from '@enrollgate/policy';
import type { CsrInfo } from '@enrollgate/pki';
import type { ScepConfig } from '../config.js';
import { templateFor, type ScepProfile } from '../profiles/profiles.js';
import { SCEP_CONFIG } from '../tokens.js';

export type ScepPolicyDecision =
  | { decision: 'allow'; rule: PolicyRule; template: string; caPool?: string; attributes: Record<string, string> }
  | { decision: 'reject'; rule: PolicyRule; detail: string };

@Injectable()
export class ScepPolicyService {
  readonly policy: Policy;
  private readonly metrics: PolicyMetrics;

  constructor(@Inject(SCEP_CONFIG) config: ScepConfig, @Inject(LOGGER) logger: Logger, @Inject(Metrics) metrics: Metrics) {
    this.policy = new Policy(config.policy);
    this.metrics = new PolicyMetrics(metrics, logger.child({ component: 'policy' }));
  }

  /** Decides a PKCSReq/RenewalReq: counted, and logged when it rejects (with the transaction). */
  decide(csr: CsrInfo, profile: ScepProfile, context: { transactionId: string }): ScepPolicyDecision {
    const result = this.policy.enrollment({
      protocol: 'scep',
      csr,
      defaultTemplate: templateFor(profile, csr.keyUsages),
      keyPolicy: profile.keyPolicy,
    });
    this.metrics.observe(result, { ...context, profile: profile.name });
    if (result.decision === 'reject') return { decision: 'reject', rule: result.rule, detail: result.problem.detail };
    const e = result.enrollment;
    const caPool = profile.caPool ?? e.caPool;
    return { decision: 'allow', rule: result.rule, template: e.template, ...(caPool ? { caPool } : {}), attributes: e.attributes };
  }
}
