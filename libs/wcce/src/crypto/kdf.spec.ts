import { readFileSync } from 'node:fs';
import { kdfString, smb3Kdf, sp800108CounterHmacSha256 } from './kdf.js';

interface KeyVectors {
  smb30: {
    name: string;
    sessionKey: string;
    signingKey: string;
    encryptionKey?: string;
    decryptionKey?: string;
    applicationKey?: string;
  }[];
  smb311: {
    sessionKey: string;
    hashAfterSessionSetupRequest2: string;
    signingKey: string;
    encryptionKey: string;
    decryptionKey: string;
    applicationKey: string;
  };
}

const vectors = JSON.parse(readFileSync(new URL('../../test/vectors/smb2/ms-smb3-keys.json', import.meta.url), 'utf8')) as KeyVectors;
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

describe(smb3Kdf.name, () => {
  describe('SMB 3.0 labels (MS-SMB2 3.2.5.3.1), anatomy-of-keys blog vectors', () => {
    it.each(vectors.smb30)('$name', (v) => {
      const sessionKey = hex(v.sessionKey);
      expect(smb3Kdf(sessionKey, kdfString('SMB2AESCMAC'), kdfString('SmbSign')).toString('hex')).toBe(v.signingKey.toLowerCase());
      if (v.encryptionKey) expect(smb3Kdf(sessionKey, kdfString('SMB2AESCCM'), kdfString('ServerIn ')).toString('hex')).toBe(v.encryptionKey.toLowerCase());
      if (v.decryptionKey) expect(smb3Kdf(sessionKey, kdfString('SMB2AESCCM'), kdfString('ServerOut')).toString('hex')).toBe(v.decryptionKey.toLowerCase());
      if (v.applicationKey) expect(smb3Kdf(sessionKey, kdfString('SMB2APP'), kdfString('SmbRpc')).toString('hex')).toBe(v.applicationKey.toLowerCase());
    });
  });

  it('derives the SMB 3.1.1 keys from the pre-authentication integrity hash', () => {
    const v = vectors.smb311;
    const sessionKey = hex(v.sessionKey);
    const context = hex(v.hashAfterSessionSetupRequest2);
    expect(smb3Kdf(sessionKey, kdfString('SMBSigningKey'), context).toString('hex')).toBe(v.signingKey.toLowerCase());
    expect(smb3Kdf(sessionKey, kdfString('SMBC2SCipherKey'), context).toString('hex')).toBe(v.encryptionKey.toLowerCase());
    expect(smb3Kdf(sessionKey, kdfString('SMBS2CCipherKey'), context).toString('hex')).toBe(v.decryptionKey.toLowerCase());
    expect(smb3Kdf(sessionKey, kdfString('SMBAppKey'), context).toString('hex')).toBe(v.applicationKey.toLowerCase());
  });

  it('produces longer outputs by chaining counter blocks (256-bit keys for AES-256 ciphers)', () => {
    const k = sp800108CounterHmacSha256(Buffer.alloc(16, 1), kdfString('L'), kdfString('C'), 256);
    expect(k).toHaveLength(32);
    expect(k.subarray(0, 16)).not.toEqual(sp800108CounterHmacSha256(Buffer.alloc(16, 1), kdfString('L'), kdfString('C'), 128));
  });

  it('refuses a length that is not whole bytes', () => {
    expect(() => sp800108CounterHmacSha256(Buffer.alloc(16), Buffer.alloc(0), Buffer.alloc(0), 12)).toThrow(RangeError);
  });
});
