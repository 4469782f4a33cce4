import type { EnrollProtocol, EnrollResult, ErrorInfo, PendingRef, Requester } from '@enrollgate/contracts';
import type { Updateable } from 'kysely';
import type { EnrollmentStatus, EnrollmentsTable } from './schema.js';

/** An enrollment as the front-ends see it: the row, decoded. Absent values are null. */
export interface Enrollment {
  id: string;
  protocol: EnrollProtocol;
  requestKey: string;
  /** BullMQ job id (jobIdFor of the request key). */
  jobId: string;
  status: EnrollmentStatus;
  template: string;
  caPool: string | null;
  /** DER PKCS#10, base64. */
  csr: string;
  requester: Requester;
  attributes: Record<string, string> | null;
  /** Leaf DER, base64 (issued). */
  certificate: string | null;
  /** Chain DER base64, issuer first (issued). */
  chain: string[] | null;
  /** The CA that holds the request (pending, issued, sometimes denied). */
  ca: PendingRef | null;
  /** Why it was denied or failed. */
  error: Pick<ErrorInfo, 'code' | 'message' | 'status'> | null;
  /** CA calls made for it so far. */
  attempts: number;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

export function isFinalStatus(status: EnrollmentStatus): boolean {
  return status === 'issued' || status === 'denied' || status === 'failed';
}

/**
 * Idempotency key of a result: one per request, outcome and CA request. Unambiguous although a
 * request key may contain '|': read from the right, the CA request id is digits or empty and the
 * outcome is a fixed word.
 */
export function resultKeyOf(result: EnrollResult): string {
  const caRequestId = result.outcome === 'failed' ? undefined : result.ca?.caRequestId;
  return `${result.protocol}|${result.requestKey}|${result.outcome}|${caRequestId ?? ''}`;
}

/**
 * What a result does to an enrollment in state `current`, or undefined when it changes nothing:
 * issued, denied and failed are final and never overwritten; pending only moves queued → pending.
 */
export function transitionFor(
  current: Pick<EnrollmentsTable, 'status' | 'attempts'>,
  result: EnrollResult,
  now: string,
): Updateable<EnrollmentsTable> | undefined {
  if (isFinalStatus(current.status)) return undefined;
  const base = { status: result.outcome, attempts: current.attempts + result.attempts, updated_at: now };
  switch (result.outcome) {
    case 'pending':
      if (current.status !== 'queued') return undefined;
      return { ...base, ...caColumns(result.ca) };
    case 'issued':
      return {
        ...base,
        ...caColumns(result.ca),
        certificate: result.certificate,
        chain: JSON.stringify(result.chain),
        ...errorColumns(undefined),
        completed_at: result.completedAt,
      };
    case 'denied':
      return { ...base, ...(result.ca ? caColumns(result.ca) : {}), ...errorColumns(result.error), completed_at: result.completedAt };
    case 'failed':
      return { ...base, ...errorColumns(result.error), completed_at: result.completedAt };
  }
}

function caColumns(ca: PendingRef): Pick<EnrollmentsTable, 'ca_request_id' | 'ca_host' | 'ca_name'> {
  return { ca_request_id: ca.caRequestId, ca_host: ca.host, ca_name: ca.caName };
}

function errorColumns(error: ErrorInfo | undefined): Pick<EnrollmentsTable, 'error_code' | 'error_message' | 'error_status'> {
  return { error_code: error?.code ?? null, error_message: error?.message ?? null, error_status: error?.status ?? null };
}

/** Decodes a row; JSON columns were written by this module, so a parse failure is corruption. */
export function toEnrollment(row: EnrollmentsTable): Enrollment {
  return {
    id: row.id,
    protocol: row.protocol,
    requestKey: row.request_key,
    jobId: row.job_id,
    status: row.status,
    template: row.template,
    caPool: row.ca_pool,
    csr: row.csr,
    requester: JSON.parse(row.requester) as Requester,
    attributes: row.attributes === null ? null : (JSON.parse(row.attributes) as Record<string, string>),
    certificate: row.certificate,
    chain: row.chain === null ? null : (JSON.parse(row.chain) as string[]),
    ca:
      row.ca_request_id !== null && row.ca_host !== null && row.ca_name !== null
        ? { caRequestId: row.ca_request_id, host: row.ca_host, caName: row.ca_name }
        : null,
    error:
      row.error_code !== null
        ? { code: row.error_code, message: row.error_message ?? '', ...(row.error_status !== null ? { status: row.error_status } : {}) }
        : null,
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
  };
}
