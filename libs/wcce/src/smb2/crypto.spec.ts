import { readFileSync } from 'node:fs';
import { WcceError } from '../errors.js';
import { Smb2Cipher, Smb2Dialect, Smb2SigningAlgorithm } from './constants.js';
import { decryptMessage, encryptMessage, NonceSequence } from './encryption.js';
import { deriveSessionKeys } from './keys.js';
import { initialPreauthHash, preauthUpdate } from './preauth.js';
import { SessionSecurity } from './security.js';
import { computeSignature, verifySignature } from './signing.js';

const vectorsDir = new URL('../../test/vectors/smb2/', import.meta.url);
const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, vectorsDir), 'utf8')) as T;
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

interface Anatomy {
  smb30: {
    sessionKey: string;
    signingKey: string;
    encryptionKey?: string;
    decryptionKey?: string;
    applicationKey?: string;
  }[];
  smb311: Record<string, string>;
}
interface EncryptionCase {
  name: string;
  cipherId: number;
  sessionId: string;
  sessionKey: string;
  preauthIntegrityHash: string;
  signingKey: string;
  encryptionKey: string;
  decryptionKey: string;
  applicationKey: string;
  finalSessionSetupResponsePacket: string;
  requests: {
    name: string;
    nonce: string;
    plainMessage: string;
    transformedMessage: string;
  }[];
  responses: {
    name: string;
    plainMessage: string;
    transformedMessage: string;
  }[];
}

const anatomy = load<Anatomy>('ms-smb3-keys.json');
const encryption = load<{ cases: EncryptionCase[] }>('ms-smb311-encryption.json');

describe('SMB 3.1.1 pre-authentication integrity (MS-SMB2 3.2.5.2)', () => {
  it('reproduces the hash chain of the anatomy-of-keys exchange', () => {
    const v = anatomy.smb311;
    const steps: [string, string][] = [
      ['negotiateRequestPacket', 'hashAfterNegotiateRequest'],
      ['negotiateResponsePacket', 'hashAfterNegotiateResponse'],
      ['sessionSetupRequest1Packet', 'hashAfterSessionSetupRequest1'],
      ['sessionSetupResponse1Packet', 'hashAfterSessionSetupResponse1'],
      ['sessionSetupRequest2Packet', 'hashAfterSessionSetupRequest2'],
    ];
    let h = initialPreauthHash();
    for (const [packet, expected] of steps) {
      h = preauthUpdate(h, hex(v[packet]!));
      expect(h.toString('hex')).toBe(v[expected]!.toLowerCase());
    }
  });
});

describe(deriveSessionKeys.name, () => {
  it('uses the session key itself for 2.x signing', () => {
    const keys = deriveSessionKeys(Smb2Dialect.SMB210, Buffer.alloc(16, 7));
    expect(keys.signingKey).toEqual(Buffer.alloc(16, 7));
    expect(keys.clientToServerKey).toBeUndefined();
  });

  it('pads a short GSS key and truncates a long one to 16 bytes (MS-SMB2 3.2.5.3.1)', () => {
    expect(deriveSessionKeys(0x0202, Buffer.alloc(8, 1)).sessionKey).toEqual(Buffer.concat([Buffer.alloc(8, 1), Buffer.alloc(8)]));
    expect(deriveSessionKeys(0x0202, Buffer.alloc(32, 1)).sessionKey).toEqual(Buffer.alloc(16, 1));
  });

  it.each(['3.0', '3.0.2'] as const)('derives the 3.0 key set for %s', (dialect) => {
    const v = anatomy.smb30[0]!;
    const keys = deriveSessionKeys(dialect === '3.0' ? Smb2Dialect.SMB300 : Smb2Dialect.SMB302, hex(v.sessionKey));
    expect(keys.signingKey.toString('hex')).toBe(v.signingKey.toLowerCase());
    expect(keys.clientToServerKey!.toString('hex')).toBe(v.encryptionKey!.toLowerCase());
    expect(keys.serverToClientKey!.toString('hex')).toBe(v.decryptionKey!.toLowerCase());
    expect(keys.applicationKey!.toString('hex')).toBe(v.applicationKey!.toLowerCase());
  });

  it.each(encryption.cases)('derives the 3.1.1 key set of $name', (c) => {
    const keys = deriveSessionKeys(Smb2Dialect.SMB311, hex(c.sessionKey), hex(c.preauthIntegrityHash));
    expect(keys.signingKey.toString('hex')).toBe(c.signingKey.toLowerCase());
    expect(keys.clientToServerKey!.toString('hex')).toBe(c.encryptionKey.toLowerCase());
    expect(keys.serverToClientKey!.toString('hex')).toBe(c.decryptionKey.toLowerCase());
    expect(keys.applicationKey!.toString('hex')).toBe(c.applicationKey.toLowerCase());
  });

  it('refuses 3.1.1 without a pre-auth hash', () => {
    expect(() => deriveSessionKeys(Smb2Dialect.SMB311, Buffer.alloc(16))).toThrow(RangeError);
  });
});

describe('SMB2 signing (MS-SMB2 3.1.4.1)', () => {
  const signed: { name: string; key: string; packet: string }[] = [
    {
      name: 'anatomy blog 3.1.1 final SESSION_SETUP response',
      key: anatomy.smb311['signingKey']!,
      packet: anatomy.smb311['sessionSetupResponse2Packet']!,
    },
    ...encryption.cases.map((c) => ({
      name: `${c.name} final SESSION_SETUP response`,
      key: c.signingKey,
      packet: c.finalSessionSetupResponsePacket,
    })),
  ];

  it.each(signed)('AES-CMAC reproduces the signature of the $name', ({ key, packet }) => {
    const msg = hex(packet);
    expect(computeSignature(Smb2SigningAlgorithm.AES_CMAC, hex(key), msg)).toEqual(msg.subarray(48, 64));
    expect(verifySignature(Smb2SigningAlgorithm.AES_CMAC, hex(key), msg)).toBe(true);
  });

  it('rejects a message changed after signing', () => {
    const msg = hex(anatomy.smb311['sessionSetupResponse2Packet']!);
    msg[msg.length - 1] ^= 1;
    expect(verifySignature(Smb2SigningAlgorithm.AES_CMAC, hex(anatomy.smb311['signingKey']!), msg)).toBe(false);
  });

  it('signs 2.x messages with HMAC-SHA256 truncated to 16 bytes and verifies them', () => {
    const sut = new SessionSecurity({
      role: 'client',
      dialect: Smb2Dialect.SMB210,
      sessionId: 1n,
      gssKey: Buffer.alloc(16, 9),
    });
    const msg = hex(encryption.cases[0]!.requests[0]!.plainMessage);
    sut.sign(msg);
    expect(() => sut.verify(msg, 'test')).not.toThrow();
    msg[70] ^= 0xff;
    expect(() => sut.verify(msg, 'test')).toThrow(WcceError);
  });
});

describe('SMB2 encryption (MS-SMB2 3.1.4.3)', () => {
  describe.each(encryption.cases)('$name', (c) => {
    const cipher = c.cipherId as Smb2Cipher;

    it.each(c.requests)('encrypts the $name byte for byte', (r) => {
      const out = encryptMessage(cipher, hex(c.encryptionKey), BigInt('0x' + c.sessionId), hex(r.plainMessage), hex(r.nonce));
      expect(out.toString('hex')).toBe(r.transformedMessage.toLowerCase());
    });

    it.each(c.responses)('decrypts the $name', (r) => {
      expect(decryptMessage(cipher, hex(c.decryptionKey), hex(r.transformedMessage)).toString('hex')).toBe(r.plainMessage.toLowerCase());
    });

    it('refuses a tampered ciphertext with INTEGRITY', () => {
      const t = hex(c.responses[0]!.transformedMessage);
      t[t.length - 1] ^= 1;
      expect(() => decryptMessage(cipher, hex(c.decryptionKey), t)).toThrow(expect.objectContaining({ code: 'INTEGRITY' }));
    });

    it('round-trips between a client and a server SessionSecurity', () => {
      const common = {
        dialect: Smb2Dialect.SMB311,
        sessionId: 5n,
        gssKey: hex(c.sessionKey),
        preauthHash: hex(c.preauthIntegrityHash),
        cipher,
      };
      const client = new SessionSecurity({ role: 'client', ...common });
      const server = new SessionSecurity({ role: 'server', ...common });
      const msg = hex(c.requests[0]!.plainMessage);
      expect(server.decrypt(client.encrypt(msg))).toEqual(msg);
      expect(client.decrypt(server.encrypt(msg))).toEqual(msg);
    });
  });

  it('never repeats a nonce within a sequence', () => {
    const sut = new NonceSequence(Smb2Cipher.AES_128_CCM);
    const a = sut.next();
    const b = sut.next();
    expect(a).toHaveLength(11);
    expect(a.equals(b)).toBe(false);
  });
});
