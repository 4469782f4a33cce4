/**
 * The enrollment contract (DESIGN.md "The enrollment contract"): what a front-end puts on the
 * `enroll` queue and what the worker puts back on the protocol's results queue.
 * Bytes travel base64 (BullMQ payloads are JSON).
 */
export type EnrollProtocol = 'acme' | 'scep';

export interface Requester {
  protocol: EnrollProtocol;
  /** ACME account URL/id or SCEP client identity (signer subject). Audit only. */
  subject: string;
  remoteAddress?: string;
}

export interface EnrollJob {
  /** Stable request key (order id or scoped SCEP transaction id); jobIdFor() derives the job id. */
  requestKey: string;
  protocol: EnrollProtocol;
  /** DER PKCS#10, base64. */
  csr: string;
  template: string;
  /** Named CA pool; absent → routed by template, else the default pool. */
  caPool?: string;
  /**
   * The CA (its AD CS CA name) to use within the pool, e.g. an EAB kid's `ca_name`
   * (acme2certifier kid_profile_handler). Absent → any CA of the pool. A pool without a CA of
   * this name is a permanent CONFIG error, never a silent switch to another CA.
   */
  caName?: string;
  /** Extra MS-ICPR request attributes (Name → Value), e.g. a validity period. */
  attributes?: Record<string, string>;
  requester: Requester;
  /** W3C trace context of the request that enqueued the job. */
  traceparent?: string;
  /** ISO time the front-end accepted the request (for queue-wait metrics and max age). */
  submittedAt: string;
}

/** Retrieve a request the CA left pending (disposition 5), on the same CA. */
export interface PendingRef {
  caRequestId: number;
  host: string;
  caName: string;
}

/** A retrieve job: poll the CA that holds a pending request until it is issued or denied. */
export interface RetrieveJob {
  enroll: EnrollJob;
  /** The enroll job id (results derive their ids from it). */
  enrollJobId: string;
  ca: PendingRef;
  /** ISO time the CA first answered pending. */
  pendingSince: string;
  /** Retrieve calls made so far. */
  polls: number;
}

export type EnrollOutcome = 'issued' | 'pending' | 'denied' | 'failed';

export interface ErrorInfo {
  code: string;
  message: string;
  /** CA HRESULT / NTSTATUS as 0xXXXXXXXX when known */
  status?: string;
  statusName?: string;
}

interface ResultBase {
  requestKey: string;
  protocol: EnrollProtocol;
  outcome: EnrollOutcome;
  /** Number of CA calls made for this result. */
  attempts: number;
  completedAt: string;
}

export interface IssuedResult extends ResultBase {
  outcome: 'issued';
  /** Leaf certificate DER, base64. */
  certificate: string;
  /** Chain (issuer first, root last), DER base64 each; from the CA's PKCS#7 or the ca_bundle. */
  chain: string[];
  ca: PendingRef;
}

export interface PendingResult extends ResultBase {
  outcome: 'pending';
  ca: PendingRef;
  message?: string;
}

export interface DeniedResult extends ResultBase {
  outcome: 'denied';
  error: ErrorInfo;
  ca?: PendingRef;
}

export interface FailedResult extends ResultBase {
  outcome: 'failed';
  error: ErrorInfo;
}

export type EnrollResult = IssuedResult | PendingResult | DeniedResult | FailedResult;

export function isFinalOutcome(outcome: EnrollOutcome): boolean {
  return outcome !== 'pending';
}
