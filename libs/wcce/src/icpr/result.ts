import { WcceError, hex32, type WcceErrorCode } from '../errors.js';
import { Disposition } from './constants.js';
import { describeHresult, isAccessDenied } from './hresult.js';
import type { CertServerResponse } from './response.js';

/**
 * The enrollment outcome of one CertServerRequest (MS-ICPR 3.2.4.1.1, research notes §2.4):
 * issued or pending are results; everything else is a WcceError thrown by mapCertServerResponse.
 */
export interface IcprIssued {
  status: 'issued';
  requestId: number;
  /** DER X.509 of the issued certificate (pctbEncodedCert). */
  certificate: Buffer;
  /** CMS SignedData with the certificate and the CA chain (pctbCert), when the CA sent one. */
  pkcs7: Buffer | null;
  message: string | null;
}

export interface IcprPending {
  status: 'pending';
  /** Keep it: retrieveRequest() with this id, on the same CA, collects the certificate later. */
  requestId: number;
  message: string | null;
}

export type IcprResult = IcprIssued | IcprPending;

const DISPOSITION_NAMES: Record<number, string> = {
  [Disposition.INCOMPLETE]: 'CR_DISP_INCOMPLETE',
  [Disposition.ERROR]: 'CR_DISP_ERROR',
  [Disposition.DENIED]: 'CR_DISP_DENIED',
  [Disposition.ISSUED]: 'CR_DISP_ISSUED',
  [Disposition.ISSUED_OUT_OF_BAND]: 'CR_DISP_ISSUED_OUT_OF_BAND',
  [Disposition.UNDER_SUBMISSION]: 'CR_DISP_UNDER_SUBMISSION',
  [Disposition.REVOKED]: 'CR_DISP_REVOKED',
};

export function dispositionName(disposition: number): string {
  return DISPOSITION_NAMES[disposition] ?? hex32(disposition);
}

export interface ResultContext {
  /** CA name, for messages and error details. */
  caName?: string;
}

function failure(
  code: WcceErrorCode,
  what: string,
  status: number,
  res: CertServerResponse,
  ctx: ResultContext,
  extra: Record<string, unknown> = {},
): WcceError {
  const ca = ctx.caName === undefined ? 'CA' : `CA ${ctx.caName}`;
  const said = res.dispositionMessage ? `: ${res.dispositionMessage}` : '';
  return new WcceError(code, `${ca} ${what}${said}`, {
    status,
    details: {
      requestId: res.requestId,
      disposition: res.disposition,
      caMessage: res.dispositionMessage,
      ...(ctx.caName === undefined ? {} : { caName: ctx.caName }),
      ...extra,
    },
  });
}

/** Maps a decoded response to issued / pending, or throws the WcceError the worker classifies. */
export function mapCertServerResponse(res: CertServerResponse, ctx: ResultContext = {}): IcprResult {
  if (res.returnValue !== 0) {
    // A call-level failure: the request was not processed (e.g. privacy enforced, ICPR disabled).
    const info = describeHresult(res.returnValue);
    const code: WcceErrorCode = isAccessDenied(res.returnValue) ? 'ACCESS_DENIED' : info.transient ? 'CA_UNAVAILABLE' : 'CA_DENIED';
    return throwIt(
      failure(code, `refused the call with ${info.name} (${hex32(res.returnValue)}, ${info.meaning})`, res.returnValue, res, ctx, { hresult: info.name }),
    );
  }
  switch (res.disposition) {
    case Disposition.ISSUED:
      if (res.encodedCert === null) {
        // Re-submitting would not help; the id can still be retrieved.
        return throwIt(
          new WcceError('PROTOCOL', `CA reported request ${res.requestId} issued but sent no certificate`, {
            retryable: false,
            details: { requestId: res.requestId, disposition: res.disposition },
          }),
        );
      }
      return { status: 'issued', requestId: res.requestId, certificate: res.encodedCert, pkcs7: res.cert, message: res.dispositionMessage };
    case Disposition.UNDER_SUBMISSION:
      return { status: 'pending', requestId: res.requestId, message: res.dispositionMessage };
    case Disposition.INCOMPLETE:
    case Disposition.ERROR:
    case Disposition.DENIED:
    case Disposition.ISSUED_OUT_OF_BAND:
    case Disposition.REVOKED: {
      const name = dispositionName(res.disposition);
      return throwIt(failure('CA_DENIED', `answered request ${res.requestId} with ${name}`, res.disposition, res, ctx, { dispositionName: name }));
    }
    default: {
      // MS-WCCE 3.2.1.4.2.1.3: any other disposition is an HRESULT.
      const info = describeHresult(res.disposition);
      const code: WcceErrorCode = info.transient ? 'CA_UNAVAILABLE' : 'CA_DENIED';
      return throwIt(
        failure(code, `denied request ${res.requestId} with ${info.name} (${hex32(res.disposition)}, ${info.meaning})`, res.disposition, res, ctx, {
          hresult: info.name,
        }),
      );
    }
  }
}

function throwIt(e: WcceError): never {
  throw e;
}
