import { NdrDecoder } from '../ndr/decoder.js';
import { NdrEncoder } from '../ndr/encoder.js';
import { readCertTransBlob, writeCertTransBlob } from './blob.js';

/**
 * CertServerRequest [out] parameters and return value (MS-ICPR 3.2.4.1.1, research notes §2.4):
 * pdwRequestId, pdwDisposition, pctbCert, pctbEncodedCert, pctbDispositionMessage, return DWORD.
 */
export interface CertServerResponse {
  requestId: number;
  /** 3 issued, 5 pending, else (normally) an HRESULT. */
  disposition: number;
  /** CMS SignedData (certs-only) with the issued certificate and the CA chain. */
  cert: Buffer | null;
  /** DER X.509 of the issued certificate. */
  encodedCert: Buffer | null;
  /** The CA's disposition text (UTF-16LE, NUL stripped); null when absent. */
  dispositionMessage: string | null;
  /** Method return value: 0, or a call-level HRESULT such as E_ACCESSDENIED. */
  returnValue: number;
}

export function encodeCertServerResponse(res: CertServerResponse, options: { firstReferent?: number } = {}): Buffer {
  const enc = new NdrEncoder(options.firstReferent === undefined ? {} : { firstReferent: options.firstReferent });
  enc.u32(res.requestId);
  enc.u32(res.disposition);
  writeCertTransBlob(enc, res.cert);
  writeCertTransBlob(enc, res.encodedCert);
  writeCertTransBlob(enc, res.dispositionMessage === null ? null : Buffer.from(res.dispositionMessage + '\0', 'utf16le'));
  enc.u32(res.returnValue);
  return enc.toBuffer();
}

export function decodeCertServerResponse(stub: Buffer): CertServerResponse {
  const dec = new NdrDecoder(stub, 'CertServerRequestResponse');
  const requestId = dec.u32('pdwRequestId');
  const disposition = dec.u32('pdwDisposition');
  const cert = readCertTransBlob(dec, 'pctbCert');
  const encodedCert = readCertTransBlob(dec, 'pctbEncodedCert');
  const message = readCertTransBlob(dec, 'pctbDispositionMessage');
  const returnValue = dec.u32('ReturnValue');
  return {
    requestId,
    disposition,
    cert: nonEmpty(cert.pb),
    encodedCert: nonEmpty(encodedCert.pb),
    dispositionMessage: message.pb === null ? null : utf16z(message.pb),
    returnValue,
  };
}

function nonEmpty(b: Buffer | null): Buffer | null {
  return b === null || b.length === 0 ? null : b;
}

/** UTF-16LE up to the first NUL (the CA includes one; tolerate its absence and odd lengths). */
function utf16z(b: Buffer): string {
  const even = b.subarray(0, b.length - (b.length % 2));
  let end = even.length;
  for (let i = 0; i < even.length; i += 2) {
    if (even.readUInt16LE(i) === 0) {
      end = i;
      break;
    }
  }
  return even.subarray(0, end).toString('utf16le');
}
