import type { RpcCallerIdentity, RpcInterfaceRegistration } from '../dcerpc/registry.js';
import { decodeAttributeBlob, parseAttributes, type RequestAttribute } from './attributes.js';
import { ICERT_PASSAGE } from './constants.js';
import { Hresult } from './hresult.js';
import { decodeCertServerRequest, type DecodedCertServerRequestIn } from './request.js';
import { encodeCertServerResponse, type CertServerResponse } from './response.js';

/**
 * The ICertPassage interface for an RpcServerConnection (the simulator): decodes
 * CertServerRequest, applies the call-level checks AD CS makes before its policy module runs,
 * and encodes what the CA logic answers.
 */
export interface IcprServerRequest extends DecodedCertServerRequestIn {
  /** The attribute string (NUL stripped) and its parsed pairs (MS-WCCE 3.2.1.4.2.1.2). */
  attributeText: string;
  attributeList: RequestAttribute[];
}

export type IcprRequestHandler = (request: IcprServerRequest, caller: RpcCallerIdentity) => Promise<CertServerResponse>;

function callFailure(requestId: number, hresult: number): CertServerResponse {
  return { requestId, disposition: 0, cert: null, encodedCert: null, dispositionMessage: null, returnValue: hresult };
}

/** MS-ICPR 3.2.4.1.1 checks that precede any CA logic: a refusal to send, or the attribute text. */
export function precheckCertServerRequest(
  req: DecodedCertServerRequestIn,
  caller: RpcCallerIdentity,
): CertServerResponse | { ok: true; attributeText: string } {
  if (caller.belowMinimumLevel) {
    // IF_ENFORCEENCRYPTICERTREQUEST: a call without packet privacy is refused with E_ACCESSDENIED
    // in the return value (the RpcServerConnection must be configured belowMinimumLevel: 'handler').
    return callFailure(req.requestId, Hresult.E_ACCESSDENIED);
  }
  if ((req.attributes === null && req.attributesCb !== 0) || (req.request === null && req.requestCb !== 0)) {
    return callFailure(req.requestId, Hresult.E_INVALIDARG);
  }
  const attrs = decodeAttributeBlob(req.attributes);
  // cb must be the string's byte length including its NUL, else E_INVALIDARG.
  if (!attrs.ok) return callFailure(req.requestId, Hresult.E_INVALIDARG);
  return { ok: true, attributeText: attrs.text };
}

export function icprInterface(handler: IcprRequestHandler): RpcInterfaceRegistration {
  return {
    syntax: ICERT_PASSAGE,
    name: 'ICertPassage',
    opnumCount: 1,
    handler: async (_opnum, stub, caller) => {
      // A stub that does not decode throws WcceProtocolError → FAULT rpc_x_bad_stub_data.
      const req = decodeCertServerRequest(stub);
      const pre = precheckCertServerRequest(req, caller);
      if (!('ok' in pre)) return encodeCertServerResponse(pre);
      const res = await handler({ ...req, attributeText: pre.attributeText, attributeList: parseAttributes(pre.attributeText) }, caller);
      return encodeCertServerResponse(res);
    },
  };
}
