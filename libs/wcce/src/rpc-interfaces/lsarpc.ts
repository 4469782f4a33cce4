import type { RpcClient } from '../dcerpc/client.js';
import type { SyntaxId } from '../dcerpc/syntax.js';
import { NdrDecoder } from '../ndr/decoder.js';
import { NdrEncoder } from '../ndr/encoder.js';
import { checkStatus } from './status.js';

/**
 * MS-LSAD `lsarpc` subset for interop tests against Samba: LsarOpenPolicy2 (3.1.4.4.1, opnum 44),
 * LsarQueryInformationPolicy (3.1.4.4.3, opnum 7) for the account and primary domain, and
 * LsarClose (3.1.4.9.4, opnum 0).
 */
export const LSARPC: SyntaxId = { uuid: '12345778-1234-abcd-ef00-0123456789ab', major: 0, minor: 0 };
export const LsarOpnum = { CLOSE: 0, QUERY_INFORMATION_POLICY: 7, OPEN_POLICY2: 44 } as const;

/** POLICY_INFORMATION_CLASS values supported here (MS-LSAD 2.2.4.1). */
export const PolicyInformationClass = {
  PRIMARY_DOMAIN: 3,
  ACCOUNT_DOMAIN: 5,
} as const;
export type PolicyInformationClass = (typeof PolicyInformationClass)[keyof typeof PolicyInformationClass];

/** MS-LSAD 2.2.1.1.2: what LsarQueryInformationPolicy needs; MAXIMUM_ALLOWED asks for all granted. */
export const POLICY_VIEW_LOCAL_INFORMATION = 0x00000001;
export const MAXIMUM_ALLOWED = 0x02000000;

/** LSAPR_POLICY_ACCOUNT_DOM_INFO / LSAPR_POLICY_PRIMARY_DOM_INFO (same layout, MS-LSAD 2.2.4.5/2.2.4.6). */
export interface PolicyDomainInfo {
  name: string | null;
  /** SID in S-1-… form, or null (a workgroup member's primary domain has none). */
  sid: string | null;
}

export type PolicyHandle = Buffer;

// ---- SIDs (MS-DTYP 2.4.2.3 RPC_SID) ----

export function parseSid(text: string): { revision: number; authority: bigint; subAuthorities: number[] } {
  const m = /^S-(\d+)-(\d+)((?:-\d+)*)$/i.exec(text);
  if (!m) throw new RangeError(`not a SID: ${text}`);
  const subAuthorities = m[3] ? m[3].slice(1).split('-').map(Number) : [];
  return { revision: Number(m[1]), authority: BigInt(m[2]!), subAuthorities };
}

export function formatSid(revision: number, authority: Buffer, subAuthorities: number[]): string {
  const value = authority.readUIntBE(0, 6);
  return ['S', revision, value, ...subAuthorities].join('-');
}

function writeSid(enc: NdrEncoder, sid: string): void {
  const { revision, authority, subAuthorities } = parseSid(sid);
  // Conformant struct: its conformance (max_count) is hoisted in front (C706 14.3.7.1).
  enc.u32(subAuthorities.length);
  enc.u8(revision).u8(subAuthorities.length);
  const auth = Buffer.alloc(6);
  auth.writeUIntBE(Number(authority), 0, 6);
  enc.bytes(auth);
  for (const s of subAuthorities) enc.u32(s);
}

function readSid(dec: NdrDecoder, field: string): string {
  const maxCount = dec.count(`${field}.maxCount`);
  const revision = dec.u8(`${field}.Revision`);
  const at = dec.offset;
  const count = dec.u8(`${field}.SubAuthorityCount`);
  if (count !== maxCount || count > 15) dec.fail(`${field}.SubAuthorityCount`, `${count} sub-authorities, conformance ${maxCount}`, at);
  const authority = dec.bytes(6, `${field}.IdentifierAuthority`);
  const subs: number[] = [];
  for (let i = 0; i < count; i++) subs.push(dec.u32(`${field}.SubAuthority[${i}]`));
  return formatSid(revision, authority, subs);
}

// ---- RPC_UNICODE_STRING (MS-DTYP 2.3.10) ----

function writeUnicodeString(enc: NdrEncoder, s: string | null): void {
  const bytes = s === null ? 0 : Buffer.byteLength(s, 'utf16le');
  enc.u16(bytes).u16(bytes);
  enc.pointer('unique', s, (v) => enc.wcharArray(v));
}

function readUnicodeString(dec: NdrDecoder, field: string, set: (v: string | null) => void): void {
  const at = dec.offset;
  const length = dec.u16(`${field}.Length`);
  const maximumLength = dec.u16(`${field}.MaximumLength`);
  if (length > maximumLength || length % 2 !== 0) dec.fail(`${field}.Length`, `Length ${length} / MaximumLength ${maximumLength}`, at);
  dec.pointer('unique', `${field}.Buffer`, () => dec.wcharArray(`${field}.Buffer`), set);
}

// ---- LsarOpenPolicy2 ----

export function encodeLsarOpenPolicy2Request(systemName: string | null, desiredAccess: number): Buffer {
  const enc = new NdrEncoder();
  enc.pointer('unique', systemName, (s) => enc.wstring(s));
  // [in] PLSAPR_OBJECT_ATTRIBUTES (a top-level ref pointer: pointee inline). MS-LSAD 3.1.4.4.1:
  // the server ignores it; all pointers NULL, Length = sizeof (24).
  enc.struct(() => {
    enc.u32(24);
    for (let i = 0; i < 2; i++) enc.pointer('unique', null, () => undefined); // RootDirectory, ObjectName
    enc.u32(0); // Attributes
    for (let i = 0; i < 2; i++) enc.pointer('unique', null, () => undefined); // SecurityDescriptor, SecurityQualityOfService
  });
  enc.u32(desiredAccess);
  return enc.toBuffer();
}

export function decodeLsarOpenPolicy2Request(stub: Buffer): { systemName: string | null; desiredAccess: number } {
  const dec = new NdrDecoder(stub, 'LsarOpenPolicy2');
  const systemName = dec.uniqueTop('SystemName', () => dec.wstring('SystemName'));
  dec.u32('ObjectAttributes.Length');
  for (const f of ['RootDirectory', 'ObjectName']) dec.u32(`ObjectAttributes.${f}`);
  dec.u32('ObjectAttributes.Attributes');
  for (const f of ['SecurityDescriptor', 'SecurityQualityOfService']) dec.u32(`ObjectAttributes.${f}`);
  return { systemName, desiredAccess: dec.u32('DesiredAccess') };
}

export function encodeHandleResponse(handle: PolicyHandle, status: number): Buffer {
  return new NdrEncoder().contextHandle(handle).u32(status).toBuffer();
}

export function decodeHandleResponse(stub: Buffer, structure: string): { handle: PolicyHandle; status: number } {
  const dec = new NdrDecoder(stub, structure);
  const handle = dec.contextHandle('PolicyHandle');
  return { handle, status: dec.u32('ReturnValue') };
}

// ---- LsarQueryInformationPolicy ----

export function encodeLsarQueryInformationPolicyRequest(handle: PolicyHandle, infoClass: PolicyInformationClass): Buffer {
  // POLICY_INFORMATION_CLASS is an enum: 16 bits in NDR20 (C706 14.2.8).
  return new NdrEncoder().contextHandle(handle).u16(infoClass).toBuffer();
}

export function decodeLsarQueryInformationPolicyRequest(stub: Buffer): { handle: PolicyHandle; infoClass: number } {
  const dec = new NdrDecoder(stub, 'LsarQueryInformationPolicy');
  return { handle: dec.contextHandle('PolicyHandle'), infoClass: dec.u16('InformationClass') };
}

/**
 * `[out, switch_is(InformationClass)] PLSAPR_POLICY_INFORMATION* PolicyInformation` + NTSTATUS:
 * referent of the unique pointer, the u16 union discriminant, the arm (a struct aligned to 4),
 * then the deferred name buffer and SID.
 */
export function encodeLsarQueryInformationPolicyResponse(infoClass: PolicyInformationClass, info: PolicyDomainInfo | null, status = 0): Buffer {
  const enc = new NdrEncoder();
  enc.pointer('unique', info, (i) =>
    enc.struct(() => {
      enc.u16(infoClass);
      enc.align(4);
      writeUnicodeString(enc, i.name);
      enc.pointer('unique', i.sid, (s) => writeSid(enc, s));
    }),
  );
  enc.u32(status);
  return enc.toBuffer();
}

export function decodeLsarQueryInformationPolicyResponse(stub: Buffer, expectedClass?: number): { info: PolicyDomainInfo | null; status: number } {
  const dec = new NdrDecoder(stub, 'LsarQueryInformationPolicyResponse');
  const info = dec.uniqueTop('PolicyInformation', () =>
    dec.struct(() => {
      const at = dec.offset;
      const level = dec.u16('PolicyInformation.level');
      if (level !== PolicyInformationClass.ACCOUNT_DOMAIN && level !== PolicyInformationClass.PRIMARY_DOMAIN) {
        dec.fail('PolicyInformation.level', `information class ${level} not supported`, at);
      }
      if (expectedClass !== undefined && level !== expectedClass) dec.fail('PolicyInformation.level', `class ${level}, asked for ${expectedClass}`, at);
      dec.align(4);
      const out: PolicyDomainInfo = { name: null, sid: null };
      readUnicodeString(dec, 'Name', (v) => (out.name = v));
      dec.pointer(
        'unique',
        'Sid',
        () => readSid(dec, 'Sid'),
        (v) => (out.sid = v),
      );
      return out;
    }),
  );
  return { info, status: dec.u32('ReturnValue') };
}

// ---- LsarClose ----

export function encodeLsarCloseRequest(handle: PolicyHandle): Buffer {
  return new NdrEncoder().contextHandle(handle).toBuffer();
}

// ---- calls over an RpcClient bound to LSARPC ----

export async function lsarOpenPolicy2(rpc: RpcClient, options: { systemName?: string | null; desiredAccess?: number } = {}): Promise<PolicyHandle> {
  const out = await rpc.call(LsarOpnum.OPEN_POLICY2, encodeLsarOpenPolicy2Request(options.systemName ?? null, options.desiredAccess ?? MAXIMUM_ALLOWED));
  const { handle, status } = decodeHandleResponse(out, 'LsarOpenPolicy2Response');
  checkStatus('LsarOpenPolicy2', status, 'NTSTATUS');
  return handle;
}

export async function lsarQueryInformationPolicy(rpc: RpcClient, handle: PolicyHandle, infoClass: PolicyInformationClass): Promise<PolicyDomainInfo> {
  const out = await rpc.call(LsarOpnum.QUERY_INFORMATION_POLICY, encodeLsarQueryInformationPolicyRequest(handle, infoClass));
  const { info, status } = decodeLsarQueryInformationPolicyResponse(out, infoClass);
  checkStatus('LsarQueryInformationPolicy', status, 'NTSTATUS');
  return info ?? { name: null, sid: null };
}

export async function lsarClose(rpc: RpcClient, handle: PolicyHandle): Promise<void> {
  const out = await rpc.call(LsarOpnum.CLOSE, encodeLsarCloseRequest(handle));
  const { status } = decodeHandleResponse(out, 'LsarCloseResponse');
  checkStatus('LsarClose', status, 'NTSTATUS');
}
