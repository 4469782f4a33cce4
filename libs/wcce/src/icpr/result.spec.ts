import { WcceError } from '../errors.js';
import { Hresult, describeHresult } from './hresult.js';
import type { CertServerResponse } from './response.js';
import { mapCertServerResponse } from './result.js';

const base: CertServerResponse = { requestId: 17, disposition: 3, cert: null, encodedCert: null, dispositionMessage: null, returnValue: 0 };

describe(mapCertServerResponse.name, () => {
  it('maps disposition 3 to issued with the DER certificate and the PKCS#7', () => {
    const sut = mapCertServerResponse({ ...base, cert: Buffer.from('p7'), encodedCert: Buffer.from('der'), dispositionMessage: 'Issued' });
    expect(sut).toEqual({ status: 'issued', requestId: 17, certificate: Buffer.from('der'), pkcs7: Buffer.from('p7'), message: 'Issued' });
  });

  it('maps disposition 5 to pending with the request id', () => {
    expect(mapCertServerResponse({ ...base, disposition: 5, dispositionMessage: 'Taken Under Submission' })).toEqual({
      status: 'pending',
      requestId: 17,
      message: 'Taken Under Submission',
    });
  });

  it.each<[string, Partial<CertServerResponse>, string, boolean, string]>([
    [
      'a template denial',
      { disposition: Hresult.CERTSRV_E_TEMPLATE_DENIED, dispositionMessage: 'Denied by Policy Module' },
      'CA_DENIED',
      false,
      'CERTSRV_E_TEMPLATE_DENIED',
    ],
    ['an unpublished template', { disposition: Hresult.CERTSRV_E_UNSUPPORTED_CERT_TYPE }, 'CA_DENIED', false, 'CERTSRV_E_UNSUPPORTED_CERT_TYPE'],
    ['a suspended CA', { disposition: Hresult.CERTSRV_E_SERVER_SUSPENDED }, 'CA_UNAVAILABLE', true, 'CERTSRV_E_SERVER_SUSPENDED'],
    ['revocation offline', { disposition: Hresult.CRYPT_E_REVOCATION_OFFLINE }, 'CA_UNAVAILABLE', true, 'CRYPT_E_REVOCATION_OFFLINE'],
    ['an unknown HRESULT', { disposition: 0x80091234 }, 'CA_DENIED', false, '0x80091234'],
    ['ICPR disabled (return value)', { disposition: 0, returnValue: Hresult.RPC_S_SERVER_UNAVAILABLE }, 'CA_UNAVAILABLE', true, 'RPC_S_SERVER_UNAVAILABLE'],
    ['privacy enforced (return value)', { disposition: 0, returnValue: Hresult.E_ACCESSDENIED }, 'ACCESS_DENIED', false, 'E_ACCESSDENIED'],
    ['privacy enforced (spec value 0x80000009)', { disposition: 0, returnValue: Hresult.E_ACCESSDENIED_OLE }, 'ACCESS_DENIED', false, 'E_ACCESSDENIED'],
    ['bad attributes (return value)', { disposition: 0, returnValue: Hresult.E_INVALIDARG }, 'CA_DENIED', false, 'E_INVALIDARG'],
    ['unknown request id on retrieval', { disposition: Hresult.CERTSRV_E_PROPERTY_EMPTY }, 'CA_DENIED', false, 'CERTSRV_E_PROPERTY_EMPTY'],
  ])('throws for %s', (_name, fields, code, retryable, hresultName) => {
    try {
      mapCertServerResponse({ ...base, ...fields }, { caName: 'test-CA' });
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(WcceError);
      const err = e as WcceError;
      expect([err.code, err.retryable, err.details?.['hresult']]).toEqual([code, retryable, hresultName]);
      expect(err.status).toBe((fields.returnValue || fields.disposition || 0) >>> 0);
      expect(err.message).toContain('test-CA');
      if (fields.dispositionMessage) expect(err.message).toContain(fields.dispositionMessage);
    }
  });

  it.each([
    ['denied on retrieval (2)', 2, 'CR_DISP_DENIED'],
    ['revoked (6)', 6, 'CR_DISP_REVOKED'],
    ['issued out of band (4)', 4, 'CR_DISP_ISSUED_OUT_OF_BAND'],
  ])('throws CA_DENIED for %s', (_name, disposition, name) => {
    expect(() => mapCertServerResponse({ ...base, disposition })).toThrow(
      expect.objectContaining({ code: 'CA_DENIED', details: expect.objectContaining({ dispositionName: name }) }),
    );
  });

  it('refuses an issued disposition without certificate bytes', () => {
    expect(() => mapCertServerResponse(base)).toThrow(expect.objectContaining({ code: 'PROTOCOL', retryable: false }));
  });
});

describe(describeHresult.name, () => {
  it.each([
    [0x80094012, 'CERTSRV_E_TEMPLATE_DENIED', false],
    [0x80094011, 'CERTSRV_E_ENROLL_DENIED', false],
    [0x80094801, 'CERTSRV_E_NO_CERT_TYPE', false],
    [0x8009480f, 'CERTSRV_E_SUBJECT_DNS_REQUIRED', false],
    [0x8007000d, 'ERROR_INVALID_DATA', false],
    [0x80094006, 'CERTSRV_E_SERVER_SUSPENDED', true],
    [0x800706ba, 'RPC_S_SERVER_UNAVAILABLE', true],
  ])('knows %s', (value, name, transient) => {
    expect(describeHresult(value)).toMatchObject({ name, transient });
  });
});
