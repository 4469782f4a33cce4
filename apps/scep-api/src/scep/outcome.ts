/**
 * Mapping enrollment state and error codes onto CertRep outcomes (RFC 8894 §3.3.2). Exhaustive:
 * a new status or error code fails the build here, not silently at run time.
 */
import type { EnrollErrorCode } from '@enrollgate/contracts';
import { scep } from '@enrollgate/pki';
import type { Enrollment } from '@enrollgate/store';

/** failInfo for an enrollment error code. RFC 8894 has no "server error" value: badRequest, with the reason in failInfoText. */
export function failInfoForEnrollError(code: EnrollErrorCode): scep.FailInfo {
  switch (code) {
    case 'CA_DENIED':
    case 'BAD_REQUEST':
    case 'PENDING_EXPIRED':
      return scep.FailInfo.badRequest;
    case 'AUTH_FAILED':
    case 'CA_UNREACHABLE':
    case 'CONFIG':
    case 'INTERNAL':
      return scep.FailInfo.badRequest;
  }
}

function isEnrollErrorCode(code: string): code is EnrollErrorCode {
  return ['CA_DENIED', 'BAD_REQUEST', 'AUTH_FAILED', 'CA_UNREACHABLE', 'PENDING_EXPIRED', 'CONFIG', 'INTERNAL'].includes(code);
}

/** The CertRep outcome for an enrollment's current state (undefined: none yet → PENDING). */
export function outcomeForEnrollment(enrollment: Enrollment | undefined): scep.CertRepOutcome {
  if (enrollment === undefined) return { status: 'PENDING' };
  switch (enrollment.status) {
    case 'queued':
    case 'pending':
      return { status: 'PENDING' };
    case 'issued': {
      if (!enrollment.certificate) return { status: 'FAILURE', failInfo: scep.FailInfo.badRequest, failInfoText: 'issued without a certificate' };
      const certs = [enrollment.certificate, ...(enrollment.chain ?? [])].map((b) => new Uint8Array(Buffer.from(b, 'base64')));
      return { status: 'SUCCESS', certificates: certs };
    }
    case 'denied':
    case 'failed': {
      const code = enrollment.error?.code ?? 'INTERNAL';
      const failInfo = isEnrollErrorCode(code) ? failInfoForEnrollError(code) : scep.FailInfo.badRequest;
      const text =
        enrollment.status === 'denied'
          ? `the CA denied the request: ${enrollment.error?.message ?? ''}`
          : `enrollment failed: ${enrollment.error?.message ?? ''}`;
      return { status: 'FAILURE', failInfo, failInfoText: text.trim() };
    }
  }
}
