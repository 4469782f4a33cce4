import { WcceProtocolError } from '../errors.js';
import { hexBuf, loadVector } from '../dcerpc/testing/vectors.js';
import { encodeAttributeBlob, formatAttributes, templateAttributes } from './attributes.js';
import { decodeCertServerRequest, encodeCertServerRequest } from './request.js';
import { decodeCertServerResponse, encodeCertServerResponse } from './response.js';

interface IcprVectors {
  request: { flags: number; authority: string; requestId: number; attributes: string; csr: string; referents: Record<string, number>; stub: string };
  retrieval: { flags: number; authority: string; requestId: number; referents: Record<string, number>; stub: string };
  requestSequentialReferents: { stub: string };
  retrievalSequentialReferents: { stub: string };
  response: { requestId: number; disposition: number; cert: string; encodedCert: string; message: string; returnValue: number; stub: string };
}

const V = loadVector<IcprVectors>('icpr/cert-server-request.json');
const attributes = encodeAttributeBlob(formatAttributes(templateAttributes(V.request.attributes.split(':')[1] ?? '')));

describe(encodeCertServerRequest.name, () => {
  it.each([
    [
      '§2.3 request, impacket referent ids (Appendix A)',
      { flags: 0, authority: 'test-CA', requestId: 0, attributes, request: hexBuf(V.request.csr) },
      V.request.referents,
      V.request.stub,
    ],
    [
      '§2.3 request, sequential referent ids',
      { flags: 0, authority: 'test-CA', requestId: 0, attributes, request: hexBuf(V.request.csr) },
      {},
      V.requestSequentialReferents.stub,
    ],
    [
      '§2.6 retrieval of id 42, impacket referent id',
      { flags: 0, authority: 'test-CA', requestId: 42, attributes: null, request: null },
      V.retrieval.referents,
      V.retrieval.stub,
    ],
    [
      '§2.6 retrieval of id 42, sequential referent id',
      { flags: 0, authority: 'test-CA', requestId: 42, attributes: null, request: null },
      {},
      V.retrievalSequentialReferents.stub,
    ],
  ])('is byte-exact for the %s', (_name, args, referents, expected) => {
    expect(encodeCertServerRequest(args, referents).toString('hex')).toBe(expected);
  });

  it('sends the attributes with the NUL counted in cb (60 bytes for CertificateTemplate:WebServer)', () => {
    expect(attributes.length).toBe(60);
  });
});

describe(decodeCertServerRequest.name, () => {
  it.each([
    ['request', V.request.stub, { flags: 0, authority: 'test-CA', requestId: 0, attributesCb: 60, requestCb: 5, request: hexBuf(V.request.csr), attributes }],
    ['retrieval', V.retrieval.stub, { flags: 0, authority: 'test-CA', requestId: 42, attributesCb: 0, requestCb: 0, request: null, attributes: null }],
  ])('decodes the %s vector', (_name, stub, expected) => {
    expect(decodeCertServerRequest(hexBuf(stub))).toEqual(expected);
  });

  const stub = hexBuf(V.request.stub);
  it.each([
    ['truncated in the CSR', stub.subarray(0, 126), 'pctbRequest.pb', 124],
    [
      'a max_count that differs from cb',
      Buffer.concat([stub.subarray(0, 120), Buffer.from('06000000', 'hex'), stub.subarray(124), Buffer.from([0])]),
      'pctbRequest.pb.maxCount',
      120,
    ],
    [
      'an authority without NUL',
      (() => {
        const b = Buffer.from(stub);
        b.writeUInt16LE(0x41, 34);
        return b;
      })(),
      'pwszAuthority',
      20,
    ],
  ])('refuses a stub %s with a typed error', (_name, bad, field, offset) => {
    try {
      decodeCertServerRequest(bad);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(WcceProtocolError);
      expect([(e as WcceProtocolError).field, (e as WcceProtocolError).offset]).toEqual([field, offset]);
    }
  });
});

describe(decodeCertServerResponse.name, () => {
  it('decodes the Appendix A response stub (garbage pad bytes ignored)', () => {
    expect(decodeCertServerResponse(hexBuf(V.response.stub))).toEqual({
      requestId: 17,
      disposition: 3,
      cert: hexBuf(V.response.cert),
      encodedCert: hexBuf(V.response.encodedCert),
      dispositionMessage: 'Issued',
      returnValue: 0,
    });
  });

  it('re-encodes the Appendix A response with the same layout (pads zeroed)', () => {
    const decoded = decodeCertServerResponse(hexBuf(V.response.stub));
    const sut = encodeCertServerResponse(decoded, { firstReferent: 0x20020 });
    const zeroPads = V.response.stub.replace(/ababab/g, '000000').replace(/bfbf/g, '0000');
    expect(sut.toString('hex')).toBe(zeroPads);
  });

  it.each([
    ['pending without message', { requestId: 5, disposition: 5, cert: null, encodedCert: null, dispositionMessage: 'Taken Under Submission', returnValue: 0 }],
    [
      'denied with HRESULT',
      { requestId: 6, disposition: 0x80094012, cert: null, encodedCert: null, dispositionMessage: 'Denied by Policy Module', returnValue: 0 },
    ],
    ['call-level failure', { requestId: 0, disposition: 0, cert: null, encodedCert: null, dispositionMessage: null, returnValue: 0x80070005 }],
  ])('round-trips a %s response', (_name, res) => {
    expect(decodeCertServerResponse(encodeCertServerResponse(res))).toEqual(res);
  });

  it('refuses a truncated response with a typed error', () => {
    expect(() => decodeCertServerResponse(hexBuf(V.response.stub).subarray(0, 40))).toThrow(WcceProtocolError);
  });
});
