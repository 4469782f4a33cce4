import { WcceError } from '../../errors.js';
import { Fields, derFields, derInteger, derOctetString, readInteger, readOctetString, type DerElement } from '../asn1/der.js';
import { encryptionProfile, type KerberosKey, type ProfileOptions } from '../crypto/index.js';

/** EncryptedData, RFC 4120 5.2.9. */
export interface EncryptedData {
  etype: number;
  kvno?: number;
  cipher: Buffer;
}

export function encodeEncryptedData(d: EncryptedData): Buffer {
  return derFields([
    [0, derInteger(d.etype)],
    [1, d.kvno === undefined ? undefined : derInteger(d.kvno)],
    [2, derOctetString(d.cipher)],
  ]);
}

export function decodeEncryptedData(e: DerElement, structure: string): EncryptedData {
  const s = `${structure}.EncryptedData`;
  const f = new Fields(e, s);
  const kvno = f.opt(1, 'kvno');
  return {
    etype: readInteger(f.req(0, 'etype'), s, 'etype'),
    ...(kvno ? { kvno: readInteger(kvno, s, 'kvno') >>> 0 } : {}),
    cipher: readOctetString(f.req(2, 'cipher'), s, 'cipher'),
  };
}

/** Encrypts `plaintext` (a DER message) into EncryptedData with `key` and `usage`. */
export function sealData(key: KerberosKey, usage: number, plaintext: Buffer, options: ProfileOptions = { allowRc4: true }, kvno?: number): EncryptedData {
  const cipher = encryptionProfile(key.etype, options).encrypt(key.value, usage, plaintext);
  return { etype: key.etype, cipher, ...(kvno === undefined ? {} : { kvno }) };
}

/** Decrypts EncryptedData; a different etype than the key's is an INTEGRITY failure. */
export function openData(key: KerberosKey, usage: number, data: EncryptedData, options: ProfileOptions = { allowRc4: true }): Buffer {
  if (data.etype !== key.etype) throw new WcceError('INTEGRITY', `EncryptedData etype ${data.etype} does not match the key's etype ${key.etype}`);
  return encryptionProfile(key.etype, options).decrypt(key.value, usage, data.cipher);
}

/** EncryptionKey, RFC 4120 5.2.9. */
export function encodeEncryptionKey(k: KerberosKey): Buffer {
  return derFields([
    [0, derInteger(k.etype)],
    [1, derOctetString(k.value)],
  ]);
}

export function decodeEncryptionKey(e: DerElement, structure: string): KerberosKey {
  const s = `${structure}.EncryptionKey`;
  const f = new Fields(e, s);
  return { etype: readInteger(f.req(0, 'keytype'), s, 'keytype'), value: Buffer.from(readOctetString(f.req(1, 'keyvalue'), s, 'keyvalue')) };
}

/** Checksum, RFC 4120 5.2.9. */
export interface Checksum {
  type: number;
  value: Buffer;
}

export function encodeChecksum(c: Checksum): Buffer {
  return derFields([
    [0, derInteger(c.type)],
    [1, derOctetString(c.value)],
  ]);
}

export function decodeChecksum(e: DerElement, structure: string): Checksum {
  const s = `${structure}.Checksum`;
  const f = new Fields(e, s);
  return { type: readInteger(f.req(0, 'cksumtype'), s, 'cksumtype'), value: readOctetString(f.req(1, 'checksum'), s, 'checksum') };
}
