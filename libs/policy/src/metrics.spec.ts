import { Metrics } from '@enrollgate/platform';
import { POLICY_RULES } from './decision.js';
import type { PolicyLogger } from './logging.js';
import { PolicyMetrics } from './metrics.js';

describe(PolicyMetrics.name, () => {
  const logger = (): PolicyLogger & { lines: Array<[object, string]> } => {
    const lines: Array<[object, string]> = [];
    const log = (fields: object, message: string) => lines.push([fields, message]);
    return { lines, info: log, warn: log, error: log };
  };

  it('counts enrollgate_policy_decisions_total{decision,rule}', async () => {
    const metrics = new Metrics('test');
    const sut = new PolicyMetrics(metrics);
    sut.count({ decision: 'allow', rule: 'key.allowed' }, { decision: 'allow', rule: 'key.allowed' }, { decision: 'reject', rule: 'order.allowed_domainlist' });
    const { body } = await metrics.render();
    expect(body).toContain('enrollgate_policy_decisions_total{decision="allow",rule="key.allowed",app="test"} 2');
    expect(body).toContain('enrollgate_policy_decisions_total{decision="reject",rule="order.allowed_domainlist",app="test"} 1');
  });

  it("logs a Policy result's rejection with its rule and detail", () => {
    const metrics = new Metrics('test');
    const log = logger();
    const sut = new PolicyMetrics(metrics, log);
    sut.observe(
      {
        decision: 'reject',
        rule: 'template.eab_header_not_allowed',
        decisions: [{ decision: 'reject', rule: 'template.eab_header_not_allowed' }],
        problem: { type: 'urn:ietf:params:acme:error:unauthorized', detail: 'header_info field "template" is not allowed by profile' },
      },
      { orderId: 'o1' },
    );
    sut.observe({ decision: 'allow', rule: 'template.default', decisions: [{ decision: 'allow', rule: 'template.default' }] });
    expect(log.lines).toEqual([
      [
        {
          orderId: 'o1',
          decision: 'reject',
          rule: 'template.eab_header_not_allowed',
          problem: 'urn:ietf:params:acme:error:unauthorized',
          detail: 'header_info field "template" is not allowed by profile',
        },
        'policy rejected the request',
      ],
    ]);
  });

  it('has a bounded rule label: a closed list of distinct names', () => {
    expect(new Set(POLICY_RULES).size).toBe(POLICY_RULES.length);
    for (const rule of POLICY_RULES) expect(rule).toMatch(/^[a-z_]+\.[a-z_]+$/);
  });
});
