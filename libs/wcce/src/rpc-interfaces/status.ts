import { WcceError, hex32 } from '../errors.js';

/** NTSTATUS / Win32 results of the helper interfaces, mapped to WcceError. */
const ACCESS_DENIED = new Set([0xc0000022, 0x00000005]);

export function checkStatus(operation: string, status: number, kind: 'NTSTATUS' | 'WERROR'): void {
  if (status === 0) return;
  const code = ACCESS_DENIED.has(status >>> 0) ? 'ACCESS_DENIED' : 'RPC_FAULT';
  throw new WcceError(code, `${operation} failed with ${kind} ${hex32(status)}`, { status, retryable: false, details: { operation } });
}
