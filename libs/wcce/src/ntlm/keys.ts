import { NtlmFlags, hasFlag } from './flags.js';
import { md5 } from './ntlmv2.js';

/** MS-NLMP 3.4.5.2 / 3.4.5.3 magic constants (NUL-terminated ASCII). */
const CLIENT_SIGN = Buffer.from('session key to client-to-server signing key magic constant\0', 'latin1');
const SERVER_SIGN = Buffer.from('session key to server-to-client signing key magic constant\0', 'latin1');
const CLIENT_SEAL = Buffer.from('session key to client-to-server sealing key magic constant\0', 'latin1');
const SERVER_SEAL = Buffer.from('session key to server-to-client sealing key magic constant\0', 'latin1');

export type NtlmMode = 'client' | 'server';

/** SIGNKEY(NegFlg, ExportedSessionKey, Mode), MS-NLMP 3.4.5.2 (extended session security). */
export function signKey(exportedSessionKey: Buffer, mode: NtlmMode): Buffer {
  return md5(exportedSessionKey, mode === 'client' ? CLIENT_SIGN : SERVER_SIGN);
}

/**
 * SEALKEY(NegFlg, ExportedSessionKey, Mode), MS-NLMP 3.4.5.3 (extended session security):
 * the seal base is the whole key with NEGOTIATE_128, its first 7 bytes with NEGOTIATE_56 only,
 * else its first 5 bytes.
 */
export function sealKey(flags: number, exportedSessionKey: Buffer, mode: NtlmMode): Buffer {
  let base: Buffer;
  if (hasFlag(flags, NtlmFlags.NEGOTIATE_128)) base = exportedSessionKey;
  else if (hasFlag(flags, NtlmFlags.NEGOTIATE_56)) base = exportedSessionKey.subarray(0, 7);
  else base = exportedSessionKey.subarray(0, 5);
  return md5(base, mode === 'client' ? CLIENT_SEAL : SERVER_SEAL);
}

export interface NtlmSessionKeys {
  clientSignKey: Buffer;
  clientSealKey: Buffer;
  serverSignKey: Buffer;
  serverSealKey: Buffer;
}

/** All four directional keys of a session. */
export function deriveSessionKeys(flags: number, exportedSessionKey: Buffer): NtlmSessionKeys {
  return {
    clientSignKey: signKey(exportedSessionKey, 'client'),
    clientSealKey: sealKey(flags, exportedSessionKey, 'client'),
    serverSignKey: signKey(exportedSessionKey, 'server'),
    serverSealKey: sealKey(flags, exportedSessionKey, 'server'),
  };
}
