import { WcceProtocolError } from '../../errors.js';
import {
  Fields,
  derApplication,
  derFields,
  derInteger,
  derKerberosString,
  derKerberosTime,
  readInteger,
  readKerberosString,
  readKerberosTime,
  unwrapApplication,
} from '../asn1/der.js';
import { ChecksumType, type KerberosKey } from '../crypto/index.js';
import { ApplicationTag } from './constants.js';
import { decodeChecksum, decodeEncryptionKey, encodeChecksum, encodeEncryptionKey, type Checksum } from './encrypted-data.js';
import { decodePrincipalName, encodePrincipalName, type PrincipalName } from './principal.js';

/** Authenticator, RFC 4120 5.5.1 ([APPLICATION 2]). */
export interface Authenticator {
  crealm: string;
  cname: PrincipalName;
  cksum?: Checksum;
  cusec: number;
  ctime: Date;
  subkey?: KerberosKey;
  seqNumber?: number;
}

export function encodeAuthenticator(a: Authenticator): Buffer {
  return derApplication(
    ApplicationTag.AUTHENTICATOR,
    derFields([
      [0, derInteger(5)],
      [1, derKerberosString(a.crealm)],
      [2, encodePrincipalName(a.cname)],
      [3, a.cksum ? encodeChecksum(a.cksum) : undefined],
      [4, derInteger(a.cusec)],
      [5, derKerberosTime(a.ctime)],
      [6, a.subkey ? encodeEncryptionKey(a.subkey) : undefined],
      [7, a.seqNumber === undefined ? undefined : derInteger(a.seqNumber >>> 0)],
    ]),
  );
}

export function decodeAuthenticator(buf: Buffer): Authenticator {
  const s = 'Authenticator';
  const f = new Fields(unwrapApplication(buf, ApplicationTag.AUTHENTICATOR, s), s);
  const vno = readInteger(f.req(0, 'authenticator-vno'), s, 'authenticator-vno');
  if (vno !== 5) f.fail('authenticator-vno', `${vno}, expected 5`);
  const ck = f.opt(3, 'cksum');
  const sub = f.opt(6, 'subkey');
  const seq = f.opt(7, 'seq-number');
  return {
    crealm: readKerberosString(f.req(1, 'crealm'), s, 'crealm'),
    cname: decodePrincipalName(f.req(2, 'cname'), s),
    ...(ck ? { cksum: decodeChecksum(ck, s) } : {}),
    cusec: readInteger(f.req(4, 'cusec'), s, 'cusec'),
    ctime: readKerberosTime(f.req(5, 'ctime'), s, 'ctime'),
    ...(sub ? { subkey: decodeEncryptionKey(sub, s) } : {}),
    ...(seq ? { seqNumber: readInteger(seq, s, 'seq-number') >>> 0 } : {}),
  };
}

/** GSS context flags carried in the 0x8003 checksum, RFC 4121 4.1.1.1 + MS-KILE 3.2.5.2 (DCE_STYLE). */
export const GssFlags = {
  DELEG: 0x01,
  MUTUAL: 0x02,
  REPLAY: 0x04,
  SEQUENCE: 0x08,
  CONF: 0x10,
  INTEG: 0x20,
  DCE_STYLE: 0x1000,
} as const;

/**
 * The RFC 4121 4.1.1 authenticator checksum (type 0x8003): Lgth = 16 (LE), Bnd = channel-binding
 * MD5 or 16 zero bytes, Flags (LE). Delegation fields are never sent.
 */
export function gssChecksum(flags: number, bindings: Buffer = Buffer.alloc(16)): Checksum {
  const v = Buffer.alloc(24);
  v.writeUInt32LE(16, 0);
  bindings.copy(v, 4, 0, 16);
  v.writeUInt32LE(flags >>> 0, 20);
  return { type: ChecksumType.GSSAPI, value: v };
}

export function parseGssChecksum(c: Checksum): { flags: number; bindings: Buffer } {
  const s = 'GSS checksum (0x8003)';
  if (c.value.length < 24) throw new WcceProtocolError(s, 'length', 0, `needs 24 bytes, got ${c.value.length}`);
  const lgth = c.value.readUInt32LE(0);
  if (lgth !== 16) throw new WcceProtocolError(s, 'Lgth', 0, `${lgth}, expected 16`);
  return { bindings: c.value.subarray(4, 20), flags: c.value.readUInt32LE(20) };
}
