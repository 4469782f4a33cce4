import type { EnrollOutcome, EnrollProtocol } from '@enrollgate/contracts';
import type { Generated } from 'kysely';

/**
 * Table types as both dialects return them once openDatabase has normalised them: text for
 * strings, ISO-8601 timestamps and JSON; numbers for integers (PostgreSQL int8 included).
 */
export const ENROLLMENT_STATUSES = ['queued', 'pending', 'issued', 'denied', 'failed'] as const;
export type EnrollmentStatus = (typeof ENROLLMENT_STATUSES)[number];

export interface EnrollmentsTable {
  id: string;
  protocol: EnrollProtocol;
  request_key: string;
  job_id: string;
  status: EnrollmentStatus;
  template: string;
  ca_pool: string | null;
  /** DER PKCS#10, base64. */
  csr: string;
  /** JSON of the contracts' Requester (audit). */
  requester: string;
  /** JSON object of extra MS-ICPR request attributes, so the job can be rebuilt from the row. */
  attributes: string | null;
  /** Leaf DER, base64. */
  certificate: string | null;
  /** JSON array of DER base64, issuer first. */
  chain: string | null;
  ca_host: string | null;
  ca_name: string | null;
  ca_request_id: number | null;
  error_code: string | null;
  error_message: string | null;
  error_status: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

export interface EnrollmentResultsTable {
  id: Generated<number>;
  protocol: EnrollProtocol;
  request_key: string;
  outcome: EnrollOutcome;
  /** Idempotency key of result persistence (see resultKeyOf). */
  result_key: string;
  /** JSON of the EnrollResult as received. */
  payload: string;
  received_at: string;
}

export interface Schema {
  enrollments: EnrollmentsTable;
  enrollment_results: EnrollmentResultsTable;
}
