/**
 * Errors of the SCEP codec. Each carries the failInfo a server answers with (RFC 8894 §3.3.2.2)
 * when the message got far enough to be answered with a signed CertRep, and the field that failed.
 */
import { FailInfo } from './constants.js';

export type ScepErrorCode =
  | 'BAD_MESSAGE' // not a pkiMessage: not CMS SignedData, missing SCEP attributes (no CertRep possible)
  | 'BAD_SIGNATURE' // the SignerInfo signature or messageDigest does not verify
  | 'UNSUPPORTED_ALGORITHM' // digest, key transport or content cipher we do not do (or single DES not enabled)
  | 'DECRYPT_FAILED' // the envelope did not open (wrong recipient, bad padding, bad key): one reason, never more precise
  | 'NOT_RECIPIENT' // the envelope is not addressed to any of our keys
  | 'BAD_CONTENT'; // the decrypted content does not parse for its message type

export class ScepError extends Error {
  constructor(
    readonly code: ScepErrorCode,
    message: string,
    readonly details: { field?: string; offset?: number } = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ScepError';
  }

  /** The failInfo to answer with (exhaustive over the codes). */
  get failInfo(): FailInfo {
    switch (this.code) {
      case 'UNSUPPORTED_ALGORITHM':
        return FailInfo.badAlg;
      case 'BAD_MESSAGE':
      case 'BAD_SIGNATURE':
      case 'DECRYPT_FAILED':
      case 'NOT_RECIPIENT':
        return FailInfo.badMessageCheck;
      case 'BAD_CONTENT':
        return FailInfo.badRequest;
    }
  }
}

export function isScepError(e: unknown, code?: ScepErrorCode): e is ScepError {
  return e instanceof ScepError && (code === undefined || e.code === code);
}
