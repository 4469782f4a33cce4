import { readFile } from 'node:fs/promises';
import { WcceError } from '../../errors.js';
import { ByteWriter } from '../../util/writer.js';
import type { KerberosKey } from '../crypto/index.js';
import { samePrincipal, type Principal } from '../messages/principal.js';
import { BigEndianReader } from './reader.js';

/**
 * MIT keytab files, version 0x0502 (big-endian; MIT "keytab.txt"): after the 2-byte version, records
 * of { int32 size (negative = deleted hole), uint16 component count, counted realm, counted
 * components, uint32 name type, uint32 timestamp, uint8 kvno, uint16 enctype, counted key,
 * optional uint32 kvno overriding the 8-bit one }.
 */
export interface KeytabEntry {
  principal: Principal;
  timestamp: number;
  kvno: number;
  key: KerberosKey;
}

const STRUCT = 'keytab';

export function parseKeytab(buf: Buffer): KeytabEntry[] {
  const r = new BigEndianReader(buf, STRUCT);
  const version = r.u16be('version');
  if (version !== 0x0502) r.fail('version', `0x${version.toString(16)}, only 0x0502 is supported`, 0);
  const out: KeytabEntry[] = [];
  while (r.remaining >= 4) {
    const size = r.i32be('size');
    if (size === 0) break;
    if (size < 0) {
      r.skip(-size, 'hole');
      continue;
    }
    const end = r.offset + size;
    if (end > buf.length) r.fail('size', `record of ${size} bytes runs past the end of the file`);
    const count = r.u16be('num_components');
    const realm = r.counted16('realm').toString('utf8');
    const nameString: string[] = [];
    for (let i = 0; i < count; i++) nameString.push(r.counted16('component').toString('utf8'));
    const nameType = r.u32be('name_type');
    const timestamp = r.u32be('timestamp');
    let kvno = r.u8('vno8');
    const etype = r.u16be('keytype');
    const value = Buffer.from(r.counted16('key'));
    if (end - r.offset >= 4) {
      const kvno32 = r.u32be('vno');
      if (kvno32 !== 0) kvno = kvno32;
    }
    r.seek(end, 'size');
    out.push({ principal: { name: { nameType, nameString }, realm }, timestamp, kvno, key: { etype, value } });
  }
  return out;
}

export async function readKeytab(path: string): Promise<KeytabEntry[]> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new WcceError('CONFIG', `cannot read keytab ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { cause: e });
  }
  return parseKeytab(buf);
}

export function encodeKeytab(entries: KeytabEntry[]): Buffer {
  const w = new ByteWriter();
  w.u16be(0x0502);
  for (const e of entries) {
    const body = new ByteWriter();
    body.u16be(e.principal.name.nameString.length);
    counted16(body, Buffer.from(e.principal.realm, 'utf8'));
    for (const c of e.principal.name.nameString) counted16(body, Buffer.from(c, 'utf8'));
    body
      .u32be(e.principal.name.nameType)
      .u32be(e.timestamp)
      .u8(e.kvno & 0xff)
      .u16be(e.key.etype);
    counted16(body, e.key.value);
    body.u32be(e.kvno);
    const b = body.toBuffer();
    w.u32be(b.length).bytes(b);
  }
  return w.toBuffer();
}

function counted16(w: ByteWriter, b: Buffer): void {
  w.u16be(b.length).bytes(b);
}

/** The newest key of `principal` with one of `etypes` (in preference order), or undefined. */
export function findKey(entries: KeytabEntry[], principal: Principal, etypes: number[], kvno?: number): KeytabEntry | undefined {
  for (const etype of etypes) {
    const candidates = entries.filter((e) => e.key.etype === etype && samePrincipal(e.principal, principal, true) && (kvno === undefined || e.kvno === kvno));
    if (candidates.length) return candidates.reduce((a, b) => (b.kvno > a.kvno ? b : a));
  }
  return undefined;
}
