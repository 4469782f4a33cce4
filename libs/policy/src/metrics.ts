import type { Metrics } from '@enrollgate/platform';
import type { PolicyDecision } from './decision.js';
import type { PolicyLogger } from './logging.js';

/** What Policy.newOrder / Policy.enrollment return, as far as metrics and logs are concerned. */
export interface PolicyOutcome extends PolicyDecision {
  decisions: readonly PolicyDecision[];
  problem?: { type: string; detail: string };
}

/** Without the `enrollgate_` prefix, which Metrics adds. */
export const POLICY_DECISIONS_METRIC = 'policy_decisions_total';

/**
 * Counts policy decisions as `enrollgate_policy_decisions_total{decision,rule}` and logs
 * rejections. Labels are the decision and the rule only (POLICY_RULES, a closed list): never a
 * name, kid or account. The log line carries the problem's detail (names the client asked
 * for), never a key or a header value.
 */
export class PolicyMetrics {
  private readonly counter;

  constructor(
    metrics: Metrics,
    private readonly logger?: PolicyLogger,
  ) {
    this.counter = metrics.counter(POLICY_DECISIONS_METRIC, 'Policy decisions by outcome and by the rule that decided', ['decision', 'rule'] as const);
  }

  /** Counts each decision (one of the pure checks' results, or a Policy result's `decisions`). */
  count(...decisions: readonly PolicyDecision[]): void {
    for (const d of decisions) this.counter.inc({ decision: d.decision, rule: d.rule });
  }

  /** Counts every check of a Policy result and logs it when it rejected, with `context` (e.g. `{ orderId }`). */
  observe(result: PolicyOutcome, context: Record<string, string | number | undefined> = {}): void {
    this.count(...result.decisions);
    if (result.decision === 'reject') {
      this.logger?.info(
        { ...context, decision: result.decision, rule: result.rule, problem: result.problem?.type, detail: result.problem?.detail },
        'policy rejected the request',
      );
    }
  }
}
