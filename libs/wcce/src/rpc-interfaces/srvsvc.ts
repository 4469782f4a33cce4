import type { RpcClient } from '../dcerpc/client.js';
import type { SyntaxId } from '../dcerpc/syntax.js';
import { NdrDecoder } from '../ndr/decoder.js';
import { NdrEncoder } from '../ndr/encoder.js';
import { checkStatus } from './status.js';

/**
 * MS-SRVS `srvsvc` (3.1.4.17 NetrServerGetInfo, opnum 21) at level 101, for interop tests
 * against Samba's `\PIPE\srvsvc` (no ICPR there).
 */
export const SRVSVC: SyntaxId = { uuid: '4b324fc8-1670-01d3-1278-5a47bf6ee188', major: 3, minor: 0 };
export const OPNUM_NETR_SERVER_GET_INFO = 21;

/** SERVER_INFO_101 (MS-SRVS 2.2.4.41). */
export interface ServerInfo101 {
  platformId: number;
  name: string | null;
  versionMajor: number;
  versionMinor: number;
  /** SV_TYPE_* bit mask. */
  type: number;
  comment: string | null;
}

/** `[in, string, unique] SRVSVC_HANDLE ServerName, [in] DWORD Level`. */
export function encodeNetrServerGetInfoRequest(serverName: string | null, level = 101): Buffer {
  const enc = new NdrEncoder();
  enc.pointer('unique', serverName, (s) => enc.wstring(s));
  enc.u32(level);
  return enc.toBuffer();
}

export function decodeNetrServerGetInfoRequest(stub: Buffer): { serverName: string | null; level: number } {
  const dec = new NdrDecoder(stub, 'NetrServerGetInfo');
  const serverName = dec.uniqueTop('ServerName', () => dec.wstring('ServerName'));
  return { serverName, level: dec.u32('Level') };
}

/**
 * `[out, switch_is(Level)] LPSERVER_INFO InfoStruct` + NET_API_STATUS: the union discriminant
 * (u32), the arm's unique pointer, SERVER_INFO_101 and its deferred strings, the status.
 */
export function encodeNetrServerGetInfoResponse(info: ServerInfo101 | null, status = 0): Buffer {
  const enc = new NdrEncoder();
  enc.struct(() => {
    enc.u32(101);
    enc.pointer('unique', info, (i) =>
      enc.struct(() => {
        enc.u32(i.platformId);
        enc.pointer('unique', i.name, (s) => enc.wstring(s));
        enc.u32(i.versionMajor).u32(i.versionMinor).u32(i.type);
        enc.pointer('unique', i.comment, (s) => enc.wstring(s));
      }),
    );
  });
  enc.u32(status);
  return enc.toBuffer();
}

export function decodeNetrServerGetInfoResponse(stub: Buffer): { info: ServerInfo101 | null; status: number } {
  const dec = new NdrDecoder(stub, 'NetrServerGetInfoResponse');
  let info: ServerInfo101 | null = null;
  dec.struct(() => {
    const level = dec.u32('InfoStruct.level');
    if (level !== 101) dec.fail('InfoStruct.level', `level ${level}, expected 101`, dec.offset - 4);
    dec.pointer(
      'unique',
      'ServerInfo101',
      () =>
        dec.struct(() => {
          const out: ServerInfo101 = { platformId: dec.u32('sv101_platform_id'), name: null, versionMajor: 0, versionMinor: 0, type: 0, comment: null };
          dec.pointer(
            'unique',
            'sv101_name',
            () => dec.wstring('sv101_name'),
            (v) => (out.name = v),
          );
          out.versionMajor = dec.u32('sv101_version_major');
          out.versionMinor = dec.u32('sv101_version_minor');
          out.type = dec.u32('sv101_type');
          dec.pointer(
            'unique',
            'sv101_comment',
            () => dec.wstring('sv101_comment'),
            (v) => (out.comment = v),
          );
          return out;
        }),
      (v) => (info = v),
    );
  });
  const status = dec.u32('ReturnValue');
  return { info, status };
}

/** Calls NetrServerGetInfo level 101 on an RpcClient bound to SRVSVC. */
export async function netrServerGetInfo(rpc: RpcClient, options: { serverName?: string | null } = {}): Promise<ServerInfo101> {
  const out = await rpc.call(OPNUM_NETR_SERVER_GET_INFO, encodeNetrServerGetInfoRequest(options.serverName ?? null));
  const { info, status } = decodeNetrServerGetInfoResponse(out);
  checkStatus('NetrServerGetInfo', status, 'WERROR');
  if (!info) checkStatus('NetrServerGetInfo (no info)', 0x0000000d, 'WERROR');
  return info!;
}
