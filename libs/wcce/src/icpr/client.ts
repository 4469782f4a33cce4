import { WcceError } from '../errors.js';
import type { RpcClient } from '../dcerpc/client.js';
import { encodeAttributeBlob, formatAttributes, templateAttributes, type RequestAttributes } from './attributes.js';
import { OPNUM_CERT_SERVER_REQUEST } from './constants.js';
import { encodeCertServerRequest } from './request.js';
import { decodeCertServerResponse, type CertServerResponse } from './response.js';
import { mapCertServerResponse, type IcprResult } from './result.js';

/**
 * MS-ICPR client calls over an RpcClient already bound to ICertPassage (see ICERT_PASSAGE).
 */
export interface SubmitRequestOptions {
  /** pwszAuthority: the CA's common name (e.g. `corp-CA01-CA`), not `host\CA`. */
  caName: string;
  /** Template CN (e.g. `WebServer`), sent as `CertificateTemplate:<template>`. */
  template: string;
  /** DER PKCS#10 (or CMS/CMC) request. */
  csrDer: Buffer;
  /** Extra attributes after the template (e.g. `SAN: dns=a&upn=b`). */
  attributes?: RequestAttributes;
  /** dwFlags (MS-WCCE 3.2.1.4.3.1.1); 0 lets the CA detect the format, as a2c and Certipy do. */
  flags?: number;
}

export interface RetrieveRequestOptions {
  caName: string;
  /** The id a previous pending submission returned; retrieval must go to the same CA. */
  requestId: number;
}

/** Submits a new request. Resolves issued / pending; throws WcceError otherwise. */
export async function submitRequest(rpc: RpcClient, options: SubmitRequestOptions): Promise<IcprResult> {
  if (options.csrDer.length === 0) throw new WcceError('CONFIG', 'empty certificate request');
  const attributes = encodeAttributeBlob(formatAttributes(templateAttributes(options.template, options.attributes ?? [])));
  const stub = encodeCertServerRequest({
    flags: options.flags ?? 0,
    authority: options.caName,
    requestId: 0,
    attributes,
    request: options.csrDer,
  });
  const res = await callCertServerRequest(rpc, stub);
  return mapCertServerResponse(res, { caName: options.caName });
}

/**
 * Asks for the state of a previous request (research notes §2.6): same call with the id and both
 * blobs NULL. Issued → certificate; still pending → pending; denied / unknown id → WcceError.
 */
export async function retrieveRequest(rpc: RpcClient, options: RetrieveRequestOptions): Promise<IcprResult> {
  if (!Number.isInteger(options.requestId) || options.requestId <= 0 || options.requestId > 0xffffffff) {
    throw new WcceError('CONFIG', `invalid request id ${options.requestId}`);
  }
  const stub = encodeCertServerRequest({ flags: 0, authority: options.caName, requestId: options.requestId, attributes: null, request: null });
  const res = await callCertServerRequest(rpc, stub);
  return mapCertServerResponse(res, { caName: options.caName });
}

/** The raw call, for callers that want the response fields themselves. */
export async function callCertServerRequest(rpc: RpcClient, stub: Buffer): Promise<CertServerResponse> {
  const out = await rpc.call(OPNUM_CERT_SERVER_REQUEST, stub);
  return decodeCertServerResponse(out);
}
