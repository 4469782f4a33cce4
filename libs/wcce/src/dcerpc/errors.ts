import { WcceError, hex32 } from '../errors.js';
import { FaultStatus, bindNakReasonName, faultName, providerReasonName } from './constants.js';
import { formatSyntax, type SyntaxId } from './syntax.js';

/** Fault statuses that say something permanent about this call or binding (no point retrying). */
const PERMANENT_FAULTS = new Set<number>([
  FaultStatus.ACCESS_DENIED,
  FaultStatus.UNSUPPORTED_AUTHN_LEVEL,
  FaultStatus.BAD_STUB_DATA,
  FaultStatus.NCA_S_OP_RNG_ERROR,
  FaultStatus.NCA_S_UNK_IF,
  FaultStatus.NCA_S_UNSUPPORTED_TYPE,
]);

/** FAULT PDU → WcceError('RPC_FAULT') with the status (C706 12.6.4.7, MS-RPCE 2.2.2.12). */
export function faultError(status: number, callId: number, opnum?: number): WcceError {
  const name = faultName(status);
  return new WcceError('RPC_FAULT', `RPC fault ${hex32(status)}${name ? ` (${name})` : ''} on call ${callId}${opnum === undefined ? '' : `, opnum ${opnum}`}`, {
    status,
    retryable: !PERMANENT_FAULTS.has(status >>> 0),
    details: { callId, ...(name ? { faultName: name } : {}), ...(opnum === undefined ? {} : { opnum }) },
  });
}

/** BIND_NAK → WcceError('RPC_FAULT') naming the reject reason (MS-RPCE 2.2.2.5). */
export function bindNakError(reason: number): WcceError {
  const name = bindNakReasonName(reason);
  return new WcceError('RPC_FAULT', `bind rejected: ${name}`, {
    retryable: reason === 1 || reason === 2, // temporary congestion, local limit exceeded
    details: { rejectReason: reason, rejectReasonName: name },
  });
}

/** A presentation context refused in BIND_ACK / ALTER_CONTEXT_RESP (C706 12.6.3.1 p_result_t). */
export function contextRejectedError(syntax: SyntaxId, result: number, reason: number): WcceError {
  const name = providerReasonName(reason);
  return new WcceError('RPC_FAULT', `interface ${formatSyntax(syntax)} rejected by the server: ${name}`, {
    retryable: false,
    details: { result, reason, reasonName: name, interface: formatSyntax(syntax) },
  });
}
