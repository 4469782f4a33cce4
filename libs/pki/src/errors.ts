/**
 * Typed errors of libs/pki. Every failure that leaves the library is a PkiError with a stable
 * `code`; parsers of untrusted bytes also name the field and, where known, the byte offset.
 */
export type PkiErrorCode =
  | 'BAD_PEM' // no PEM block, mismatched BEGIN/END labels, bad base64
  | 'BAD_DER' // malformed DER where no more specific structure applies
  | 'BAD_CSR' // a PKCS#10 request that does not parse
  | 'BAD_SIGNATURE' // a signature that does not verify
  | 'BAD_CERTIFICATE' // an X.509 certificate that does not parse
  | 'BAD_PKCS7' // a CMS/PKCS#7 structure that does not parse or is not certs-only SignedData
  | 'BAD_CHAIN' // certificates that do not form a chain
  | 'BAD_KEY' // a private key that does not parse, or does not match its certificate
  | 'UNSUPPORTED_KEY' // a key type or size we do not handle (DSA, RSA < 512, unknown curve)
  | 'UNSUPPORTED_ALGORITHM' // a signature algorithm we do not handle
  | 'INVALID_ARGUMENT' // a caller passed a value that cannot be used (bad serial, bad SAN)
  | 'CA_STORE'; // a CA directory that cannot be read or written

export interface PkiErrorDetails {
  /** the structure and field that failed, e.g. `CertificationRequest.signature` */
  field?: string;
  /** byte offset from the start of the parsed input */
  offset?: number;
  [key: string]: unknown;
}

export class PkiError extends Error {
  readonly code: PkiErrorCode;
  readonly details: PkiErrorDetails;

  constructor(code: PkiErrorCode, message: string, details: PkiErrorDetails = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'PkiError';
    this.code = code;
    this.details = details;
  }

  /** The same failure re-labelled for the structure the caller was parsing (keeps field/offset). */
  withCode(code: PkiErrorCode, prefix?: string): PkiError {
    return new PkiError(code, prefix === undefined ? this.message : `${prefix}: ${this.message}`, this.details, this);
  }
}

export function isPkiError(e: unknown, code?: PkiErrorCode): e is PkiError {
  return e instanceof PkiError && (code === undefined || e.code === code);
}

/**
 * Runs `fn` and turns anything that is not already a PkiError (a RangeError from deep inside a
 * library, a TypeError on a missing field) into a PkiError with `code`. Errors that are already
 * PkiErrors with another code are re-labelled so the caller sees its own stable code.
 */
export function guard<T>(code: PkiErrorCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toPkiError(e, code, what);
  }
}

export async function guardAsync<T>(code: PkiErrorCode, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toPkiError(e, code, what);
  }
}

function toPkiError(e: unknown, code: PkiErrorCode, what: string): PkiError {
  if (e instanceof PkiError) return e.code === code ? e : e.withCode(code, what);
  const reason = e instanceof Error ? e.message : String(e);
  return new PkiError(code, `${what}: ${reason}`, {}, e);
}
