import { ByteReader } from '../../util/reader.js';
import { ByteWriter } from '../../util/writer.js';
import { NegotiateContextType } from '../constants.js';

/**
 * MS-SMB2 2.2.3.1 NEGOTIATE_CONTEXT list (3.1.1 only). Each context is Type(2) DataLength(2)
 * Reserved(4) Data, and every context after the first starts 8-byte aligned.
 */
export interface PreauthIntegrityCapabilities {
  hashAlgorithms: number[];
  salt: Buffer;
}

export interface NegotiateContexts {
  /** 2.2.3.1.1: mandatory in a 3.1.1 request and response. */
  preauthIntegrity?: PreauthIntegrityCapabilities;
  /** 2.2.3.1.2: ciphers in preference order (a response carries exactly one). */
  encryption?: { ciphers: number[] };
  /** 2.2.3.1.7: signing algorithms in preference order (a response carries exactly one). */
  signing?: { algorithms: number[] };
  /** Contexts we do not interpret (compression, netname, transport...), kept for diagnostics. */
  other: { type: number; data: Buffer }[];
}

export function emptyContexts(): NegotiateContexts {
  return { other: [] };
}

function encodeOne(type: number, data: Buffer, w: ByteWriter, base: number): void {
  w.align(8, base);
  w.u16(type).u16(data.length).u32(0).bytes(data);
}

/**
 * Writes the list at the writer's position (which must already be 8-aligned relative to the header
 * start; `base` is the writer position of the header start, negative for body writers).
 */
export function encodeNegotiateContexts(ctx: NegotiateContexts, w: ByteWriter, base: number): number {
  let count = 0;
  if (ctx.preauthIntegrity) {
    const p = ctx.preauthIntegrity;
    const d = new ByteWriter(8 + p.salt.length).u16(p.hashAlgorithms.length).u16(p.salt.length);
    for (const a of p.hashAlgorithms) d.u16(a);
    d.bytes(p.salt);
    encodeOne(NegotiateContextType.PREAUTH_INTEGRITY_CAPABILITIES, d.toBuffer(), w, base);
    count++;
  }
  if (ctx.encryption) {
    const d = new ByteWriter(8).u16(ctx.encryption.ciphers.length);
    for (const c of ctx.encryption.ciphers) d.u16(c);
    encodeOne(NegotiateContextType.ENCRYPTION_CAPABILITIES, d.toBuffer(), w, base);
    count++;
  }
  for (const o of ctx.other) {
    encodeOne(o.type, o.data, w, base);
    count++;
  }
  if (ctx.signing) {
    const d = new ByteWriter(8).u16(ctx.signing.algorithms.length);
    for (const a of ctx.signing.algorithms) d.u16(a);
    encodeOne(NegotiateContextType.SIGNING_CAPABILITIES, d.toBuffer(), w, base);
    count++;
  }
  return count;
}

/** Reads `count` contexts starting at `offset` (from the header start) of `msg`. */
export function decodeNegotiateContexts(msg: Buffer, offset: number, count: number, structure: string): NegotiateContexts {
  const out = emptyContexts();
  if (count === 0) return out;
  const r = new ByteReader(msg, structure);
  r.seek(offset, 'NegotiateContextOffset');
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      // The last context need not be padded, so alignment can run off the end only if more follow.
      const rel = r.offset % 8;
      if (rel !== 0) r.skip(8 - rel, `NegotiateContext[${i}].padding`);
    }
    const type = r.u16(`NegotiateContext[${i}].ContextType`);
    const length = r.u16(`NegotiateContext[${i}].DataLength`);
    r.u32(`NegotiateContext[${i}].Reserved`);
    const data = r.bytes(length, `NegotiateContext[${i}].Data`);
    const d = new ByteReader(data, `${structure}.NegotiateContext[${i}]`);
    switch (type) {
      case NegotiateContextType.PREAUTH_INTEGRITY_CAPABILITIES: {
        const n = d.u16('HashAlgorithmCount');
        const saltLength = d.u16('SaltLength');
        const hashAlgorithms: number[] = [];
        for (let k = 0; k < n; k++) hashAlgorithms.push(d.u16(`HashAlgorithms[${k}]`));
        out.preauthIntegrity = {
          hashAlgorithms,
          salt: Buffer.from(d.bytes(saltLength, 'Salt')),
        };
        break;
      }
      case NegotiateContextType.ENCRYPTION_CAPABILITIES: {
        const n = d.u16('CipherCount');
        const ciphers: number[] = [];
        for (let k = 0; k < n; k++) ciphers.push(d.u16(`Ciphers[${k}]`));
        out.encryption = { ciphers };
        break;
      }
      case NegotiateContextType.SIGNING_CAPABILITIES: {
        const n = d.u16('SigningAlgorithmCount');
        const algorithms: number[] = [];
        for (let k = 0; k < n; k++) algorithms.push(d.u16(`SigningAlgorithms[${k}]`));
        out.signing = { algorithms };
        break;
      }
      default:
        out.other.push({ type, data: Buffer.from(data) });
    }
  }
  return out;
}
