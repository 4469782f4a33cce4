import { WcceError, isWcceError } from '../errors.js';
import { RpcAuthLevel, type SecurityContext } from '../security/provider.js';
import { PacketType, SEC_TRAILER_LENGTH } from './constants.js';
import { authPadLength, encodeSecTrailer, type AuthPadAlignment } from './header.js';
import { callFragLength, callHeaderLength, encodeCallHeader, type RequestPdu, type ResponsePdu } from './request.js';

/**
 * Per-fragment protection of REQUEST / RESPONSE PDUs (MS-RPCE 3.3.1.5.2 and 2.2.2.11; research
 * notes §3.3), shared by RpcClient and RpcServerConnection. Every fragment is a complete PDU with
 * its own auth padding, sec_trailer and verifier, and consumes one sequence number of the
 * security context.
 */
export interface CallSecurity {
  context: SecurityContext;
  authType: number;
  authLevel: RpcAuthLevel;
  authContextId: number;
  /** Alignment of stub + auth padding (16 per MS-RPCE 2.2.2.11, 4 to reproduce impacket). */
  padAlignment: AuthPadAlignment;
}

/** Auth padding fill byte: impacket uses 0xBB in requests (Appendix A); any value is legal. */
const PAD_FILL = 0xbb;

export function isProtectedLevel(level: number): boolean {
  return level >= RpcAuthLevel.PKT_INTEGRITY;
}

type CallFields =
  | { ptype: typeof PacketType.REQUEST; flags: number; callId: number; allocHint: number; contextId: number; opnum: number; object?: string }
  | { ptype: typeof PacketType.RESPONSE; flags: number; callId: number; allocHint: number; contextId: number; cancelCount?: number };

/**
 * Largest stub chunk that fits one fragment of at most `maxFrag` bytes. With protection the chunk
 * is a multiple of the pad alignment, so only the last fragment carries auth padding.
 */
export function maxChunkLength(maxFrag: number, fields: { ptype: number; object?: string }, sec: CallSecurity | undefined): number {
  const headerLength = callHeaderLength(fields);
  if (!sec || !isProtectedLevel(sec.authLevel)) return maxFrag - headerLength;
  const verifier = sec.context.verifierLength(sec.authLevel, maxFrag);
  const available = maxFrag - headerLength - SEC_TRAILER_LENGTH - verifier;
  const chunk = Math.floor(available / sec.padAlignment) * sec.padAlignment;
  if (chunk <= 0) throw new WcceError('CONFIG', `fragment size ${maxFrag} leaves no room for stub data`);
  return chunk;
}

/** Builds one fragment: header, (padded, sealed) stub, sec_trailer, verifier. */
export function buildCallFragment(fields: CallFields, chunk: Buffer, sec: CallSecurity | undefined): Buffer {
  const headerLength = callHeaderLength(fields);
  if (!sec || !isProtectedLevel(sec.authLevel)) {
    // NONE and CONNECT: no sec_trailer on calls (MS-RPCE 3.3.1.5.2: connect level protects the bind only).
    return Buffer.concat([encodeCallHeader(fields, callFragLength(headerLength, chunk.length, undefined), 0), chunk]);
  }
  const pad = authPadLength(chunk.length, sec.padAlignment);
  const stub = pad === 0 ? chunk : Buffer.concat([chunk, Buffer.alloc(pad, PAD_FILL)]);
  const verifierLength = sec.context.verifierLength(sec.authLevel, stub.length);
  const header = encodeCallHeader(fields, callFragLength(headerLength, stub.length, verifierLength), verifierLength);
  const trailer = encodeSecTrailer({ authType: sec.authType, authLevel: sec.authLevel, authPadLength: pad, authContextId: sec.authContextId });
  const wrapped = sec.context.wrap(sec.authLevel, { header, stub, trailer });
  if (wrapped.verifier.length !== verifierLength || wrapped.stub.length !== stub.length) {
    throw new WcceError('PROTOCOL', `security provider produced a ${wrapped.verifier.length}-byte verifier, announced ${verifierLength}`, { retryable: false });
  }
  return Buffer.concat([header, wrapped.stub, trailer, wrapped.verifier]);
}

/**
 * Verifies (and at privacy decrypts) one received fragment and returns its stub without auth
 * padding. `pdu` is the raw fragment, `frame` its decoded form.
 */
export function openCallFragment(pdu: Buffer, frame: RequestPdu | ResponsePdu, sec: CallSecurity | undefined): Buffer {
  const what = frame.ptype === PacketType.REQUEST ? 'request' : 'response';
  if (!sec || !isProtectedLevel(sec.authLevel)) {
    // Not protected: honour any auth padding a peer added, ignore a verifier (e.g. connect level).
    if (!frame.auth) return frame.stub;
    return frame.stub.subarray(0, frame.stub.length - frame.auth.authPadLength);
  }
  const auth = frame.auth;
  if (!auth) throw new WcceError('INTEGRITY', `${what} fragment (call ${frame.callId}) has no verifier at auth level ${sec.authLevel}`);
  if (auth.authType !== sec.authType || auth.authLevel !== sec.authLevel || auth.authContextId !== sec.authContextId) {
    throw new WcceError(
      'INTEGRITY',
      `${what} fragment sec_trailer (type ${auth.authType}, level ${auth.authLevel}, context ${auth.authContextId}) does not match the association (type ${sec.authType}, level ${sec.authLevel}, context ${sec.authContextId})`,
    );
  }
  const headerLength = callHeaderLength(frame);
  const trailerAt = pdu.length - auth.authValue.length - SEC_TRAILER_LENGTH;
  const parts = {
    header: pdu.subarray(0, headerLength),
    stub: frame.stub,
    trailer: pdu.subarray(trailerAt, trailerAt + SEC_TRAILER_LENGTH),
  };
  let plain: Buffer;
  try {
    plain = sec.context.unwrap(sec.authLevel, parts, auth.authValue);
  } catch (e) {
    if (isWcceError(e)) throw e;
    throw new WcceError('INTEGRITY', `${what} fragment failed verification: ${(e as Error).message}`, { cause: e });
  }
  if (auth.authPadLength > plain.length) {
    throw new WcceError('PROTOCOL', `auth_pad_length ${auth.authPadLength} exceeds the ${plain.length}-byte stub`);
  }
  return plain.subarray(0, plain.length - auth.authPadLength);
}
