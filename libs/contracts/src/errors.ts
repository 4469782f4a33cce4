/**
 * Error codes shared across the queue boundary. The worker maps libs/wcce errors onto these;
 * front-ends map these onto ACME problem types and SCEP failInfo (each mapping exhaustive).
 */
export const EnrollErrorCode = {
  /** The CA refused the request (HRESULT disposition): permanent. */
  CA_DENIED: 'CA_DENIED',
  /** The request is malformed for the CA (bad CSR, unknown template): permanent. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** Credentials refused by the domain: permanent for this credential, breaker opens. */
  AUTH_FAILED: 'AUTH_FAILED',
  /** Every CA of the pool failed transiently until the job's deadline. */
  CA_UNREACHABLE: 'CA_UNREACHABLE',
  /** The CA kept the request pending longer than the configured maximum age. */
  PENDING_EXPIRED: 'PENDING_EXPIRED',
  /** Configuration problem on our side (unknown pool, missing credentials). */
  CONFIG: 'CONFIG',
  /** Anything else, unexpected. */
  INTERNAL: 'INTERNAL',
} as const;
export type EnrollErrorCode = (typeof EnrollErrorCode)[keyof typeof EnrollErrorCode];

export function isPermanent(code: EnrollErrorCode): boolean {
  switch (code) {
    case 'CA_DENIED':
    case 'BAD_REQUEST':
    case 'AUTH_FAILED':
    case 'CONFIG':
    case 'PENDING_EXPIRED':
      return true;
    case 'CA_UNREACHABLE':
    case 'INTERNAL':
      return false;
  }
}
