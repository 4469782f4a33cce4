import { Fields, derApplication, derFields, derInteger, derKerberosTime, readInteger, readKerberosTime, unwrapApplication } from '../asn1/der.js';
import type { KerberosKey } from '../crypto/index.js';
import { ApplicationTag, MessageType } from './constants.js';
import { decodeEncryptedData, decodeEncryptionKey, encodeEncryptedData, encodeEncryptionKey, type EncryptedData } from './encrypted-data.js';

/** AP-REP, RFC 4120 5.5.2 ([APPLICATION 15]). */
export function encodeApRep(encPart: EncryptedData): Buffer {
  return derApplication(
    MessageType.AP_REP,
    derFields([
      [0, derInteger(5)],
      [1, derInteger(MessageType.AP_REP)],
      [2, encodeEncryptedData(encPart)],
    ]),
  );
}

export function decodeApRep(buf: Buffer, base = 0): EncryptedData {
  const s = 'AP-REP';
  const f = new Fields(unwrapApplication(buf, MessageType.AP_REP, s, base), s);
  const pvno = readInteger(f.req(0, 'pvno'), s, 'pvno');
  if (pvno !== 5) f.fail('pvno', `${pvno}, expected 5`);
  const mt = readInteger(f.req(1, 'msg-type'), s, 'msg-type');
  if (mt !== MessageType.AP_REP) f.fail('msg-type', `${mt}, expected 15`);
  return decodeEncryptedData(f.req(2, 'enc-part'), s);
}

/** EncAPRepPart, RFC 4120 5.5.2 ([APPLICATION 27]). */
export interface EncApRepPart {
  ctime: Date;
  cusec: number;
  subkey?: KerberosKey;
  seqNumber?: number;
}

export function encodeEncApRepPart(p: EncApRepPart): Buffer {
  return derApplication(
    ApplicationTag.ENC_AP_REP_PART,
    derFields([
      [0, derKerberosTime(p.ctime)],
      [1, derInteger(p.cusec)],
      [2, p.subkey ? encodeEncryptionKey(p.subkey) : undefined],
      [3, p.seqNumber === undefined ? undefined : derInteger(p.seqNumber >>> 0)],
    ]),
  );
}

export function decodeEncApRepPart(buf: Buffer): EncApRepPart {
  const s = 'EncAPRepPart';
  const f = new Fields(unwrapApplication(buf, ApplicationTag.ENC_AP_REP_PART, s), s);
  const sub = f.opt(2, 'subkey');
  const seq = f.opt(3, 'seq-number');
  return {
    ctime: readKerberosTime(f.req(0, 'ctime'), s, 'ctime'),
    cusec: readInteger(f.req(1, 'cusec'), s, 'cusec'),
    ...(sub ? { subkey: decodeEncryptionKey(sub, s) } : {}),
    ...(seq ? { seqNumber: readInteger(seq, s, 'seq-number') >>> 0 } : {}),
  };
}
