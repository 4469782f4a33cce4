import type { EnrollErrorCode, ErrorInfo, PendingRef } from '@enrollgate/contracts';

/** What the worker asks of a CA. MS-ICPR (ca/icpr-ca-client.ts) is the production implementation. */
export interface CaSubmitRequest {
  csrDer: Buffer;
  template: string;
  /** Extra request attributes (Name → Value) sent next to CertificateTemplate. */
  attributes: Record<string, string>;
  caPool?: string;
  /** Only CAs of this name within the pool (EnrollJob.caName); compared case-insensitively, as AD CS names are. */
  caName?: string;
  /** The request key, for audit logs (never sent to the CA). */
  auditKey?: string;
}

export type CaOutcome =
  | { kind: 'issued'; certificate: Buffer; chain: Buffer[]; ca: PendingRef }
  | { kind: 'pending'; ca: PendingRef; message?: string }
  | { kind: 'denied'; error: ErrorInfo; ca?: PendingRef };

export interface CaClient {
  submit(request: CaSubmitRequest): Promise<CaOutcome>;
  retrieve(ref: PendingRef): Promise<CaOutcome>;
  close(): Promise<void>;
}

/**
 * A CA call that did not produce an outcome. `retryable` errors (connect, timeout, SMB/RPC
 * fault, CA busy) are retried with backoff; the others end the job at once.
 */
export class CaError extends Error {
  constructor(
    readonly code: EnrollErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly info: { status?: string; statusName?: string; host?: string; blocked?: boolean } = {},
  ) {
    super(message);
    this.name = 'CaError';
  }
}
