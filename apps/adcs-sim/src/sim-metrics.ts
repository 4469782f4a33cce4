import type { Metrics } from '@enrollgate/platform';

export type IcprOperation = 'submit' | 'retrieve';
/** Bounded label values for a CertServerRequest answer. */
export type DispositionLabel = 'issued' | 'pending' | 'denied' | 'failed' | 'refused';

/** The simulator's counters (prefix enrollgate_ added by Metrics; labels bounded). */
export class SimMetrics {
  readonly calls;
  readonly requests;
  readonly faults;

  constructor(metrics: Metrics) {
    this.calls = metrics.counter('adcs_sim_icpr_calls_total', 'MS-ICPR CertServerRequest calls received, by operation', ['operation']);
    this.requests = metrics.counter(
      'adcs_sim_requests_total',
      'CertServerRequest answers by disposition (issued 3, pending 5, denied 2 or an HRESULT, failed: refused call-level return value, refused: below packet privacy)',
      ['operation', 'disposition'],
    );
    this.faults = metrics.counter('adcs_sim_faults_injected_total', 'Faults injected into ICPR calls, by kind and source', ['fault', 'source']);
  }
}
