// Factories for the store's specs (not exported from the package index).
import type { DeniedResult, EnrollJob, EnrollProtocol, FailedResult, IssuedResult, PendingResult } from '@enrollgate/contracts';
import type { EnrollmentsTable } from '../schema.js';

export const T0 = '2025-01-02T03:04:05.000Z';

/** A clock that advances one second per reading, so timestamps order but are reproducible. */
export function steppingClock(start = T0): () => Date {
  let t = Date.parse(start);
  return () => new Date((t += 1000));
}

export function anEnrollJob(overrides: Partial<EnrollJob> = {}): EnrollJob {
  const protocol: EnrollProtocol = overrides.protocol ?? 'acme';
  return {
    requestKey: 'ord_01HZX',
    protocol,
    csr: 'MIIBCjCBsQIBADAPMQ0wCwYDVQQDDAR0ZXN0',
    template: 'WebServer',
    caPool: 'corp',
    attributes: { CertificateTemplate: 'WebServer' },
    requester: { protocol, subject: 'https://acme.example/acct/1', remoteAddress: '10.0.0.7' },
    submittedAt: T0,
    ...overrides,
  };
}

const CA = { caRequestId: 4_000_000_123, host: 'ca1.corp.example', caName: 'Corp Issuing CA' };

export function anIssuedResult(overrides: Partial<IssuedResult> = {}): IssuedResult {
  return {
    requestKey: 'ord_01HZX',
    protocol: 'acme',
    outcome: 'issued',
    attempts: 1,
    completedAt: '2025-01-02T03:10:00.000Z',
    certificate: 'MIIDleafDER',
    chain: ['MIIDissuer', 'MIIDroot'],
    ca: CA,
    ...overrides,
  };
}

export function aPendingResult(overrides: Partial<PendingResult> = {}): PendingResult {
  return {
    requestKey: 'ord_01HZX',
    protocol: 'acme',
    outcome: 'pending',
    attempts: 1,
    completedAt: '2025-01-02T03:05:00.000Z',
    ca: CA,
    message: 'Taken Under Submission',
    ...overrides,
  };
}

export function aDeniedResult(overrides: Partial<DeniedResult> = {}): DeniedResult {
  return {
    requestKey: 'ord_01HZX',
    protocol: 'acme',
    outcome: 'denied',
    attempts: 1,
    completedAt: '2025-01-02T03:06:00.000Z',
    error: {
      code: 'CA_DENIED',
      message: 'The requested certificate template is not supported by this CA.',
      status: '0x80094800',
      statusName: 'CERTSRV_E_UNSUPPORTED_CERT_TYPE',
    },
    ca: CA,
    ...overrides,
  };
}

export function aFailedResult(overrides: Partial<FailedResult> = {}): FailedResult {
  return {
    requestKey: 'ord_01HZX',
    protocol: 'acme',
    outcome: 'failed',
    attempts: 6,
    completedAt: '2025-01-02T03:07:00.000Z',
    error: { code: 'CA_UNREACHABLE', message: 'every CA of pool corp failed: connect ETIMEDOUT' },
    ...overrides,
  };
}

/** A raw `enrollments` row (queued, nothing from the CA yet), for specs that insert without the repository. */
export function anEnrollmentRow(overrides: Partial<EnrollmentsTable> = {}): EnrollmentsTable {
  return {
    id: 'e1',
    protocol: 'acme',
    request_key: 'k',
    job_id: 'j',
    status: 'queued',
    template: 't',
    ca_pool: null,
    csr: 'c',
    requester: '{}',
    attributes: null,
    certificate: null,
    chain: null,
    ca_host: null,
    ca_name: null,
    ca_request_id: null,
    error_code: null,
    error_message: null,
    error_status: null,
    attempts: 0,
    created_at: 'now',
    updated_at: 'now',
    completed_at: null,
    ...overrides,
  };
}
