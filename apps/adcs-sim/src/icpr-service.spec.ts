import { buildCsr, generateKeyPair } from '@enrollgate/pki';
import { dispositionLabel, requestFaults, toWire } from './icpr-service.js';

describe(toWire.name, () => {
  it('maps an issued answer to pctbEncodedCert, pctbCert (PKCS#7) and return value 0', () => {
    const sut = toWire({ requestId: 7, disposition: 3, certificate: new Uint8Array([1, 2]), pkcs7: new Uint8Array([3]), message: 'Issued' });
    expect(sut).toEqual({
      requestId: 7,
      disposition: 3,
      encodedCert: Buffer.from([1, 2]),
      cert: Buffer.from([3]),
      dispositionMessage: 'Issued',
      returnValue: 0,
    });
  });

  it('keeps a failure HRESULT as an unsigned disposition, with no certificate blobs', () => {
    const sut = toWire({ requestId: 0, disposition: 0x80070057 | 0, hresult: 0x80070057, message: 'Denied' });
    expect(sut).toMatchObject({ disposition: 0x80070057, cert: null, encodedCert: null, returnValue: 0 });
  });
});

describe(dispositionLabel.name, () => {
  it.each([
    [3, 'issued'],
    [5, 'pending'],
    [2, 'denied'],
    [0x80094800, 'denied'],
  ])('%i → %s', (disposition, label) => {
    expect(dispositionLabel(disposition)).toBe(label);
  });
});

describe(requestFaults.name, () => {
  it('reads magic SANs from the CSR and treats an unparsable request as fault-free', async () => {
    const keys = await generateKeyPair('p256');
    const csr = await buildCsr({
      subject: 'CN=a.test',
      keys,
      sans: [
        { type: 'dns', value: 'a.test' },
        { type: 'dns', value: 'delay-2s.sim' },
        { type: 'dns', value: 'fault.sim' },
      ],
    });
    expect(requestFaults(Buffer.from(csr.der))).toEqual([{ kind: 'delay', ms: 2000 }, { kind: 'rpc-fault' }]);
    expect(requestFaults(Buffer.from('3003020100', 'hex'))).toEqual([]);
  });
});
