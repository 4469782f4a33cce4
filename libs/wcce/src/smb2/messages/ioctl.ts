import { ByteReader } from '../../util/reader.js';
import { ByteWriter } from '../../util/writer.js';
import { bodyReader, bodyWriter, type FileId, headerOffset, variableField } from './common.js';

/** MS-SMB2 2.2.31 IOCTL Request. */
export interface IoctlRequest {
  ctlCode: number;
  fileId: FileId;
  input: Buffer;
  maxInputResponse: number;
  maxOutputResponse: number;
  /** SMB2_0_IOCTL_IS_FSCTL (1) for FSCTLs. */
  flags: number;
}

/** MS-SMB2 2.2.32 IOCTL Response. */
export interface IoctlResponse {
  ctlCode: number;
  fileId: FileId;
  input: Buffer;
  output: Buffer;
  flags: number;
}

export function encodeIoctlRequest(req: IoctlRequest): Buffer {
  if (req.fileId.length !== 16) throw new RangeError('FileId must be 16 bytes');
  const w = bodyWriter(57, 56 + req.input.length)
    .u16(0)
    .u32(req.ctlCode)
    .bytes(req.fileId);
  const inputAt = w.length;
  w.u32(0).u32(req.input.length).u32(req.maxInputResponse).u32(0).u32(0).u32(req.maxOutputResponse).u32(req.flags).u32(0);
  const at = headerOffset(w);
  // Windows puts InputOffset at 0x78 and OutputOffset there too when no output is sent.
  w.patchU32(inputAt, req.input.length > 0 ? at : 0).patchU32(inputAt + 12, at);
  w.bytes(req.input);
  if (req.input.length === 0) w.zeros(1);
  return w.toBuffer();
}

export function decodeIoctlRequest(msg: Buffer): IoctlRequest {
  const r = bodyReader(msg, 'IoctlRequest', 57);
  r.u16('Reserved');
  const ctlCode = r.u32('CtlCode');
  const fileId = Buffer.from(r.bytes(16, 'FileId'));
  const inputOffset = r.u32('InputOffset');
  const inputCount = r.u32('InputCount');
  const maxInputResponse = r.u32('MaxInputResponse');
  r.u32('OutputOffset');
  r.u32('OutputCount');
  const maxOutputResponse = r.u32('MaxOutputResponse');
  const flags = r.u32('Flags');
  r.u32('Reserved2');
  return {
    ctlCode,
    fileId,
    input: variableField(r, inputOffset, inputCount, 'Input'),
    maxInputResponse,
    maxOutputResponse,
    flags,
  };
}

export function encodeIoctlResponse(res: IoctlResponse): Buffer {
  const w = bodyWriter(49, 48 + res.input.length + res.output.length)
    .u16(0)
    .u32(res.ctlCode)
    .bytes(res.fileId);
  const at = w.length;
  w.u32(0).u32(res.input.length).u32(0).u32(res.output.length).u32(res.flags).u32(0);
  const inputOffset = headerOffset(w);
  w.bytes(res.input);
  w.align(8, -64);
  const outputOffset = headerOffset(w);
  w.bytes(res.output);
  w.patchU32(at, inputOffset).patchU32(at + 8, outputOffset);
  if (res.input.length === 0 && res.output.length === 0) w.zeros(1);
  return w.toBuffer();
}

export function decodeIoctlResponse(msg: Buffer): IoctlResponse {
  const r = bodyReader(msg, 'IoctlResponse', 49);
  r.u16('Reserved');
  const ctlCode = r.u32('CtlCode');
  const fileId = Buffer.from(r.bytes(16, 'FileId'));
  const inputOffset = r.u32('InputOffset');
  const inputCount = r.u32('InputCount');
  const outputOffset = r.u32('OutputOffset');
  const outputCount = r.u32('OutputCount');
  const flags = r.u32('Flags');
  r.u32('Reserved2');
  return {
    ctlCode,
    fileId,
    input: variableField(r, inputOffset, inputCount, 'Input'),
    output: variableField(r, outputOffset, outputCount, 'Output'),
    flags,
  };
}

/** MS-SMB2 2.2.31.4 VALIDATE_NEGOTIATE_INFO Request (FSCTL input). */
export interface ValidateNegotiateInfoRequest {
  capabilities: number;
  guid: Buffer;
  securityMode: number;
  dialects: number[];
}

/** MS-SMB2 2.2.32.6 VALIDATE_NEGOTIATE_INFO Response (FSCTL output). */
export interface ValidateNegotiateInfoResponse {
  capabilities: number;
  guid: Buffer;
  securityMode: number;
  dialect: number;
}

export function encodeValidateNegotiateInfoRequest(v: ValidateNegotiateInfoRequest): Buffer {
  const w = new ByteWriter(24 + 2 * v.dialects.length).u32(v.capabilities).bytes(v.guid).u16(v.securityMode).u16(v.dialects.length);
  for (const d of v.dialects) w.u16(d);
  return w.toBuffer();
}

export function decodeValidateNegotiateInfoRequest(input: Buffer): ValidateNegotiateInfoRequest {
  const r = new ByteReader(input, 'ValidateNegotiateInfoRequest');
  const capabilities = r.u32('Capabilities');
  const guid = Buffer.from(r.guid('Guid'));
  const securityMode = r.u16('SecurityMode');
  const count = r.u16('DialectCount');
  const dialects: number[] = [];
  for (let i = 0; i < count; i++) dialects.push(r.u16(`Dialects[${i}]`));
  return { capabilities, guid, securityMode, dialects };
}

export function encodeValidateNegotiateInfoResponse(v: ValidateNegotiateInfoResponse): Buffer {
  return new ByteWriter(24).u32(v.capabilities).bytes(v.guid).u16(v.securityMode).u16(v.dialect).toBuffer();
}

export function decodeValidateNegotiateInfoResponse(output: Buffer): ValidateNegotiateInfoResponse {
  const r = new ByteReader(output, 'ValidateNegotiateInfoResponse');
  return {
    capabilities: r.u32('Capabilities'),
    guid: Buffer.from(r.guid('Guid')),
    securityMode: r.u16('SecurityMode'),
    dialect: r.u16('Dialect'),
  };
}
