export { SpnegoContext, type MechListMicCapable, type SpnegoContextOptions } from './context.js';
export { MechOid } from './oids.js';
export {
  NegState,
  decodeNegotiationToken,
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenInit2,
  encodeNegTokenResp,
  gssFrame,
  gssUnframe,
  type NegHints,
  type NegTokenInit,
  type NegTokenResp,
  type NegotiationToken,
} from './tokens.js';
export { DerReader, DerTag, type DerElement } from './der.js';
