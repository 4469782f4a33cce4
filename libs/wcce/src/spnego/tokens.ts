import { WcceProtocolError } from '../errors.js';
import {
  DerReader,
  DerTag,
  contextTag,
  derEnumerated,
  derExplicit,
  derGeneralString,
  derOctetString,
  derOid,
  derSequence,
  readOid,
  tlv,
  type DerElement,
} from './der.js';
import { MechOid } from './oids.js';

/** NegState, RFC 4178 4.2.2. */
export const NegState = {
  ACCEPT_COMPLETED: 0,
  ACCEPT_INCOMPLETE: 1,
  REJECT: 2,
  REQUEST_MIC: 3,
} as const;
export type NegState = (typeof NegState)[keyof typeof NegState];

/** NegHints of NegTokenInit2, MS-SPNG 2.2.1. */
export interface NegHints {
  hintName?: string;
  hintAddress?: Buffer;
}

/**
 * NegTokenInit (RFC 4178 4.2.1) or its MS-SPNG 2.2.1 NegTokenInit2 form (server hints in the SMB2
 * NEGOTIATE response: negHints at [3], mechListMIC moved to [4]).
 */
export interface NegTokenInit {
  mechTypes: string[];
  /** The DER of the MechTypeList exactly as received/sent: what the mechListMIC covers. */
  mechTypesDer: Buffer;
  /** ContextFlags BIT STRING content (rarely sent). */
  reqFlags?: Buffer;
  mechToken?: Buffer;
  negHints?: NegHints;
  mechListMic?: Buffer;
}

/** NegTokenResp, RFC 4178 4.2.2. */
export interface NegTokenResp {
  negState?: NegState;
  supportedMech?: string;
  responseToken?: Buffer;
  mechListMic?: Buffer;
}

export type NegotiationToken = { kind: 'init'; token: NegTokenInit } | { kind: 'resp'; token: NegTokenResp };

const STRUCT = 'SPNEGO';

/** MechTypeList ::= SEQUENCE OF MechType (RFC 4178 4.1). */
export function encodeMechTypeList(mechTypes: readonly string[]): Buffer {
  return derSequence(...mechTypes.map(derOid));
}

/** GSS-API InitialContextToken framing, RFC 2743 3.1: [APPLICATION 0] { thisMech OID, innerContextToken }. */
export function gssFrame(mech: string, innerToken: Buffer): Buffer {
  return tlv(DerTag.APPLICATION_0, derOid(mech), innerToken);
}

/** Removes the RFC 2743 framing; returns the mech OID and the inner token bytes. */
export function gssUnframe(token: Buffer, structure = 'GSS_InitialContextToken'): { mech: string; innerToken: Buffer; innerOffset: number } {
  const r = new DerReader(token, structure);
  const app = r.expect(DerTag.APPLICATION_0, 'InitialContextToken');
  r.end('InitialContextToken');
  const inner = DerReader.inside(app, structure);
  const mech = readOid(inner, 'thisMech');
  const { bytes, offset } = inner.rest();
  return { mech, innerToken: bytes, innerOffset: offset };
}

/** A client's first token: GSS-framed NegTokenInit (RFC 4178 4.2.1). */
export function encodeNegTokenInit(init: { mechTypes: readonly string[]; reqFlags?: Buffer; mechToken?: Buffer; mechListMic?: Buffer }): Buffer {
  const fields = [derExplicit(0, encodeMechTypeList(init.mechTypes))];
  if (init.reqFlags) fields.push(derExplicit(1, tlv(DerTag.BIT_STRING, init.reqFlags)));
  if (init.mechToken) fields.push(derExplicit(2, derOctetString(init.mechToken)));
  if (init.mechListMic) fields.push(derExplicit(3, derOctetString(init.mechListMic)));
  return gssFrame(MechOid.SPNEGO, derExplicit(0, derSequence(...fields)));
}

/** The SMB2 NEGOTIATE response hint: GSS-framed NegTokenInit2 (MS-SPNG 2.2.1, 3.2.5.2). */
export function encodeNegTokenInit2(init: { mechTypes: readonly string[]; mechToken?: Buffer; hintName?: string }): Buffer {
  const fields = [derExplicit(0, encodeMechTypeList(init.mechTypes))];
  if (init.mechToken) fields.push(derExplicit(2, derOctetString(init.mechToken)));
  // MS-SPNG 3.2.5.2: Windows sends hintName "not_defined_in_RFC4178@please_ignore".
  const hintName = init.hintName ?? 'not_defined_in_RFC4178@please_ignore';
  fields.push(derExplicit(3, derSequence(derExplicit(0, derGeneralString(hintName)))));
  return gssFrame(MechOid.SPNEGO, derExplicit(0, derSequence(...fields)));
}

/** NegTokenResp wrapped as NegotiationToken [1] (never GSS-framed, RFC 4178 4.2). */
export function encodeNegTokenResp(resp: NegTokenResp): Buffer {
  const fields: Buffer[] = [];
  if (resp.negState !== undefined) fields.push(derExplicit(0, derEnumerated(resp.negState)));
  if (resp.supportedMech) fields.push(derExplicit(1, derOid(resp.supportedMech)));
  if (resp.responseToken) fields.push(derExplicit(2, derOctetString(resp.responseToken)));
  if (resp.mechListMic) fields.push(derExplicit(3, derOctetString(resp.mechListMic)));
  return derExplicit(1, derSequence(...fields));
}

function readOctetString(r: DerReader, e: DerElement, field: string): Buffer {
  const inner = DerReader.inside(e, r.structure);
  const os = inner.expect(DerTag.OCTET_STRING, field);
  inner.end(field);
  return Buffer.from(os.content);
}

function decodeInit(e: DerElement): NegTokenInit {
  const outer = DerReader.inside(e, 'NegTokenInit');
  const seq = outer.expect(DerTag.SEQUENCE, 'NegTokenInit');
  outer.end('NegTokenInit');
  const r = DerReader.inside(seq, 'NegTokenInit');

  const mechTypesField = r.expect(contextTag(0), 'mechTypes');
  const mr = DerReader.inside(mechTypesField, 'NegTokenInit');
  const list = mr.expect(DerTag.SEQUENCE, 'mechTypes');
  mr.end('mechTypes');
  const lr = DerReader.inside(list, 'NegTokenInit.mechTypes');
  const mechTypes: string[] = [];
  while (!lr.done) mechTypes.push(readOid(lr, 'MechType'));

  const init: NegTokenInit = { mechTypes, mechTypesDer: Buffer.from(list.raw) };
  const flags = r.optional(contextTag(1), 'reqFlags');
  if (flags) {
    const fr = DerReader.inside(flags, 'NegTokenInit');
    init.reqFlags = Buffer.from(fr.expect(DerTag.BIT_STRING, 'reqFlags').content);
  }
  const token = r.optional(contextTag(2), 'mechToken');
  if (token) init.mechToken = readOctetString(r, token, 'mechToken');
  const third = r.optional(contextTag(3), 'negHints');
  if (third) {
    // RFC 4178 puts mechListMIC (OCTET STRING) at [3]; MS-SPNG NegTokenInit2 puts negHints (SEQUENCE) there.
    const inner = DerReader.inside(third, 'NegTokenInit');
    if (inner.peekTag() === DerTag.OCTET_STRING) {
      init.mechListMic = readOctetString(r, third, 'mechListMIC');
    } else {
      const hints = inner.expect(DerTag.SEQUENCE, 'negHints');
      const hr = DerReader.inside(hints, 'NegHints');
      init.negHints = {};
      const name = hr.optional(contextTag(0), 'hintName');
      if (name) init.negHints.hintName = DerReader.inside(name, 'NegHints').expect(DerTag.GENERAL_STRING, 'hintName').content.toString('latin1');
      const address = hr.optional(contextTag(1), 'hintAddress');
      if (address) init.negHints.hintAddress = readOctetString(hr, address, 'hintAddress');
    }
  }
  const fourth = r.optional(contextTag(4), 'mechListMIC');
  if (fourth) init.mechListMic = readOctetString(r, fourth, 'mechListMIC');
  return init;
}

function decodeResp(e: DerElement): NegTokenResp {
  const outer = DerReader.inside(e, 'NegTokenResp');
  const seq = outer.expect(DerTag.SEQUENCE, 'NegTokenResp');
  outer.end('NegTokenResp');
  const r = DerReader.inside(seq, 'NegTokenResp');
  const resp: NegTokenResp = {};
  const state = r.optional(contextTag(0), 'negState');
  if (state) {
    const sr = DerReader.inside(state, 'NegTokenResp');
    const en = sr.expect(DerTag.ENUMERATED, 'negState');
    if (en.content.length !== 1 || en.content[0]! > NegState.REQUEST_MIC) {
      sr.fail('negState', `unknown negState ${en.content.toString('hex')}`, en.offset);
    }
    resp.negState = en.content[0] as NegState;
  }
  const mech = r.optional(contextTag(1), 'supportedMech');
  if (mech) resp.supportedMech = readOid(DerReader.inside(mech, 'NegTokenResp'), 'supportedMech');
  const token = r.optional(contextTag(2), 'responseToken');
  if (token) resp.responseToken = readOctetString(r, token, 'responseToken');
  const mic = r.optional(contextTag(3), 'mechListMIC');
  if (mic) resp.mechListMic = readOctetString(r, mic, 'mechListMIC');
  return resp;
}

/**
 * Decodes any SPNEGO token: a GSS-framed NegTokenInit/NegTokenInit2 (0x60), a bare NegotiationToken
 * [0] NegTokenInit or [1] NegTokenResp. Malformed input gives WcceProtocolError.
 */
export function decodeNegotiationToken(token: Buffer): NegotiationToken {
  let body = token;
  let base = 0;
  if (token[0] === DerTag.APPLICATION_0) {
    const { mech, innerToken, innerOffset } = gssUnframe(token, STRUCT);
    if (mech !== MechOid.SPNEGO) throw new WcceProtocolError(STRUCT, 'thisMech', 2, `mechanism ${mech} is not SPNEGO`);
    body = innerToken;
    base = innerOffset;
  }
  const r = new DerReader(body, STRUCT, base);
  const choice = r.read('NegotiationToken');
  r.end('NegotiationToken');
  if (choice.tag === contextTag(0)) return { kind: 'init', token: decodeInit(choice) };
  if (choice.tag === contextTag(1)) return { kind: 'resp', token: decodeResp(choice) };
  throw new WcceProtocolError(STRUCT, 'NegotiationToken', choice.offset, `tag 0x${choice.tag.toString(16)} is neither negTokenInit [0] nor negTokenResp [1]`);
}
