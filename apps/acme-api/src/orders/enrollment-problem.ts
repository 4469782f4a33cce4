import { EnrollErrorCode } from '@enrollgate/contracts';
import type { Enrollment } from '@enrollgate/store';
import { AcmeProblem } from '../acme/problems.js';

const KNOWN_CODES = new Set<string>(Object.values(EnrollErrorCode));

function isEnrollErrorCode(code: string): code is EnrollErrorCode {
  return KNOWN_CODES.has(code);
}

/**
 * The problem an order shows when its enrollment ended without a certificate. Exhaustive over
 * the contract's error codes; the CA's own message is kept in the detail.
 */
export function problemForEnrollment(error: NonNullable<Enrollment['error']>): AcmeProblem {
  const reason = `${error.message}${error.status ? ` (${error.status})` : ''}`;
  const code = isEnrollErrorCode(error.code) ? error.code : EnrollErrorCode.INTERNAL;
  switch (code) {
    case 'CA_DENIED':
      return new AcmeProblem('unauthorized', `the CA denied the request: ${reason}`);
    case 'BAD_REQUEST':
      return new AcmeProblem('badCSR', `the CA refused the request: ${reason}`);
    case 'PENDING_EXPIRED':
      return new AcmeProblem('unauthorized', `the request was not approved at the CA in time: ${reason}`);
    case 'AUTH_FAILED':
      return new AcmeProblem('serverInternal', `the gateway could not authenticate to the CA: ${reason}`);
    case 'CONFIG':
      return new AcmeProblem('serverInternal', `gateway configuration error: ${reason}`);
    case 'CA_UNREACHABLE':
      return new AcmeProblem('serverInternal', `the CA could not be reached: ${reason}`);
    case 'INTERNAL':
      return new AcmeProblem('serverInternal', `enrollment failed: ${reason}`);
  }
}
