import { WcceError } from '../errors.js';
import { KrbErrorCode, type KrbError } from './messages/krb-error.js';
import { principalToString } from './messages/principal.js';

/**
 * Maps a KRB-ERROR to a WcceError (RFC 4120 7.5.9 codes). Credentials problems are AUTH_FAILED
 * and never retried (account lock-out); clock skew gets its own message because the fix is NTP,
 * not the password. The e-text is the KDC's and holds no secret of ours.
 */
export function krbErrorToWcce(e: KrbError, during: string, now: Date = new Date()): WcceError {
  const details: Record<string, unknown> = { krbError: e.errorCode, realm: e.realm, sname: principalToString({ name: e.sname, realm: e.realm }) };
  const text = e.eText ? ` (${e.eText})` : '';
  const options = { status: e.errorCode, details };
  switch (e.errorCode) {
    case KrbErrorCode.KDC_ERR_PREAUTH_FAILED:
    case KrbErrorCode.KRB_AP_ERR_BAD_INTEGRITY:
      return new WcceError('AUTH_FAILED', `Kerberos ${during}: wrong password or key (KDC error ${e.errorCode})${text}`, options);
    case KrbErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN:
      return new WcceError('AUTH_FAILED', `Kerberos ${during}: client principal unknown to the KDC${text}`, options);
    case KrbErrorCode.KDC_ERR_CLIENT_REVOKED:
      return new WcceError('AUTH_FAILED', `Kerberos ${during}: account disabled or locked out${text}`, options);
    case KrbErrorCode.KDC_ERR_KEY_EXPIRED:
      return new WcceError('AUTH_FAILED', `Kerberos ${during}: password expired${text}`, options);
    case KrbErrorCode.KRB_AP_ERR_SKEW: {
      const skew = Math.round((e.stime.getTime() - now.getTime()) / 1000);
      details.skewSeconds = skew;
      return new WcceError('PROTOCOL', `Kerberos ${during}: clock skew too great: the KDC's clock is ${skew} s from ours; synchronise time (NTP)`, {
        ...options,
        retryable: false,
      });
    }
    case KrbErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN:
      return new WcceError(
        'PROTOCOL',
        `Kerberos ${during}: service principal ${details.sname as string} unknown to the KDC (use the server's DNS name, not an IP)${text}`,
        {
          ...options,
          retryable: false,
        },
      );
    case KrbErrorCode.KDC_ERR_ETYPE_NOSUPP:
      return new WcceError('UNSUPPORTED', `Kerberos ${during}: the KDC supports none of the offered encryption types${text}`, options);
    default:
      return new WcceError('PROTOCOL', `Kerberos ${during}: KDC error ${e.errorCode}${text}`, options);
  }
}
