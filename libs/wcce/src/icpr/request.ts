import { NdrDecoder } from '../ndr/decoder.js';
import { NdrEncoder } from '../ndr/encoder.js';
import { readCertTransBlob, writeCertTransBlob } from './blob.js';

/**
 * CertServerRequest [in] parameters (MS-ICPR 3.2.4.1.1), marshalled in NDR20 (research notes
 * §2.3): dwFlags, [string, unique] pwszAuthority, [in, out, ref] pdwRequestId (value inline),
 * [in, ref] pctbAttribs, [in, ref] pctbRequest.
 */
export interface CertServerRequestIn {
  flags: number;
  /** CA common name (not host\CA); null is legal NDR but every CA refuses it. */
  authority: string | null;
  /** 0 for a new request; the CA's id to retrieve a pending one (MS-ICPR 3.2.4.1.1, §2.6). */
  requestId: number;
  /** Raw pctbAttribs bytes: UTF-16LE with NUL (see attributes.ts); null = cb 0, pb NULL. */
  attributes: Buffer | null;
  /** DER request (PKCS#10/CMS/CMC); null = cb 0, pb NULL (status inspection / retrieval). */
  request: Buffer | null;
}

/** What the simulator sees, including the declared cb values (which may disagree with the data). */
export interface DecodedCertServerRequestIn extends CertServerRequestIn {
  attributesCb: number;
  requestCb: number;
}

/** Referent ids to use instead of the allocator's (to reproduce another client's bytes exactly). */
export interface CertServerRequestReferents {
  authority?: number;
  attributes?: number;
  request?: number;
}

export function encodeCertServerRequest(args: CertServerRequestIn, referents: CertServerRequestReferents = {}): Buffer {
  const enc = new NdrEncoder();
  enc.u32(args.flags);
  enc.pointer('unique', args.authority, (s) => enc.wstring(s), referents.authority === undefined ? {} : { referent: referents.authority });
  enc.u32(args.requestId);
  writeCertTransBlob(enc, args.attributes, referents.attributes);
  writeCertTransBlob(enc, args.request, referents.request);
  return enc.toBuffer();
}

export function decodeCertServerRequest(stub: Buffer): DecodedCertServerRequestIn {
  const dec = new NdrDecoder(stub, 'CertServerRequest');
  const flags = dec.u32('dwFlags');
  const authority = dec.uniqueTop('pwszAuthority', () => dec.wstring('pwszAuthority'));
  const requestId = dec.u32('pdwRequestId');
  const attributes = readCertTransBlob(dec, 'pctbAttribs');
  const request = readCertTransBlob(dec, 'pctbRequest');
  return {
    flags,
    authority,
    requestId,
    attributes: attributes.pb,
    attributesCb: attributes.cb,
    request: request.pb,
    requestCb: request.cb,
  };
}
