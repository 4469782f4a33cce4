import { readFileSync } from 'node:fs';
import { WcceProtocolError } from '../../errors.js';
import { SMB2_HEADER_SIZE, Smb2Command, Smb2Dialect, Smb2HeaderFlags } from '../constants.js';
import { buildMessage, decodeHeader, encodeHeader, makeHeader, splitCompound } from '../header.js';
import {
  decodeCloseRequest,
  decodeCloseResponse,
  decodeCreateRequest,
  decodeCreateResponse,
  decodeEchoRequest,
  decodeErrorResponse,
  decodeIoctlRequest,
  decodeIoctlResponse,
  decodeLogoffRequest,
  decodeNegotiateRequest,
  decodeNegotiateResponse,
  decodeReadRequest,
  decodeReadResponse,
  decodeSessionSetupRequest,
  decodeSessionSetupResponse,
  decodeTreeConnectRequest,
  decodeTreeConnectResponse,
  decodeTreeDisconnectResponse,
  decodeValidateNegotiateInfoRequest,
  decodeValidateNegotiateInfoResponse,
  decodeWriteRequest,
  decodeWriteResponse,
  encodeCloseRequest,
  encodeCloseResponse,
  encodeCreateRequest,
  encodeCreateResponse,
  encodeEchoRequest,
  encodeErrorResponse,
  encodeIoctlRequest,
  encodeIoctlResponse,
  encodeLogoffRequest,
  encodeNegotiateRequest,
  encodeNegotiateResponse,
  encodeReadRequest,
  encodeReadResponse,
  encodeSessionSetupRequest,
  encodeSessionSetupResponse,
  encodeTreeConnectRequest,
  encodeTreeConnectResponse,
  encodeTreeDisconnectResponse,
  encodeValidateNegotiateInfoRequest,
  encodeValidateNegotiateInfoResponse,
  encodeWriteRequest,
  encodeWriteResponse,
  emptyCloseResponse,
  shareNameOf,
} from './index.js';

const vectorsDir = new URL('../../../test/vectors/smb2/', import.meta.url);
const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, vectorsDir), 'utf8')) as T;
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const anatomy = load<{ smb311: Record<string, string> }>('ms-smb3-keys.json').smb311;
const gcm = load<{
  cases: {
    requests: { plainMessage: string }[];
    responses: { plainMessage: string }[];
  }[];
}>('ms-smb311-encryption.json').cases[0]!;

/** Re-encodes a captured message from its decoded header and body: must give the same bytes. */
function reencode(packet: Buffer, body: Buffer): Buffer {
  return buildMessage(decodeHeader(packet), body);
}

const fileId = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex');
const asMessage = (command: number, body: Buffer, flags = 0): Buffer => buildMessage(makeHeader({ command, flags, messageId: 3n }), body);

describe('SMB2 header (MS-SMB2 2.2.1)', () => {
  it('decodes the sync header of the anatomy-blog NEGOTIATE request', () => {
    const h = decodeHeader(hex(anatomy['negotiateRequestPacket']!));
    expect(h).toMatchObject({
      command: Smb2Command.NEGOTIATE,
      creditCharge: 1,
      credits: 128,
      messageId: 1n,
      processId: 0xfeff,
      treeId: 0,
      sessionId: 0n,
    });
  });

  it('round-trips an async header (AsyncId instead of ProcessId/TreeId)', () => {
    const h = makeHeader({
      command: Smb2Command.READ,
      flags: Smb2HeaderFlags.ASYNC_COMMAND | Smb2HeaderFlags.SERVER_TO_REDIR,
      asyncId: 0x1122334455n,
      status: 0x103,
      messageId: 9n,
    });
    const back = decodeHeader(encodeHeader(h).toBuffer());
    expect(back.asyncId).toBe(0x1122334455n);
    expect(back.status).toBe(0x103);
  });

  it.each([
    ['an SMB1 message', 'ff534d42'],
    ['a transform header', 'fd534d42'],
    ['garbage', 'deadbeef'],
  ])('refuses %s as ProtocolId', (_name, id) => {
    const msg = Buffer.concat([hex(id), Buffer.alloc(60)]);
    expect(() => decodeHeader(msg)).toThrow(WcceProtocolError);
  });

  it('names the field of a truncated header', () => {
    const msg = hex(anatomy['negotiateRequestPacket']!).subarray(0, 30);
    expect(() => decodeHeader(msg)).toThrow(expect.objectContaining({ structure: 'SMB2Header', field: 'MessageId' }));
  });

  it('splits a compound on NextCommand and refuses a NextCommand outside the message', () => {
    const a = asMessage(Smb2Command.ECHO, Buffer.concat([encodeEchoRequest(), Buffer.alloc(4)]));
    a.writeUInt32LE(a.length, 20);
    const b = asMessage(Smb2Command.ECHO, encodeEchoRequest());
    expect(splitCompound(Buffer.concat([a, b]))).toHaveLength(2);
    a.writeUInt32LE(4096, 20);
    expect(() => splitCompound(Buffer.concat([a, b]))).toThrow(WcceProtocolError);
  });
});

describe('NEGOTIATE (MS-SMB2 2.2.3, 2.2.4)', () => {
  it('decodes the 3.1.1 request with its contexts and re-encodes it byte for byte', () => {
    const packet = hex(anatomy['negotiateRequestPacket']!);
    const sut = decodeNegotiateRequest(packet);
    expect(sut.dialects).toEqual([0x0202, 0x0210, 0x0300, 0x0302, 0x0311]);
    expect(sut.capabilities).toBe(0x3f);
    expect(sut.contexts.preauthIntegrity?.hashAlgorithms).toEqual([1]);
    expect(sut.contexts.preauthIntegrity?.salt.toString('hex')).toBe('fa49e6578f1f3a9f4cd3e9cc14a67aa884b3d05844e0e5a118225c15887f32ff');
    expect(sut.contexts.encryption?.ciphers).toEqual([2, 1]);
    expect(reencode(packet, encodeNegotiateRequest(sut))).toEqual(packet);
  });

  it('decodes the 3.1.1 response (SPNEGO hints + contexts) and re-encodes it byte for byte', () => {
    const packet = hex(anatomy['negotiateResponsePacket']!);
    const sut = decodeNegotiateResponse(packet);
    expect(sut.dialectRevision).toBe(Smb2Dialect.SMB311);
    expect(sut.securityMode).toBe(1);
    expect(sut.maxReadSize).toBe(0x800000);
    expect(sut.securityBuffer).toHaveLength(0x140);
    expect(sut.contexts.encryption?.ciphers).toEqual([2]);
    expect(sut.contexts.preauthIntegrity?.salt).toHaveLength(32);
    expect(reencode(packet, encodeNegotiateResponse(sut))).toEqual(packet);
  });

  it('round-trips a 2.x request (ClientStartTime, no contexts) and a signing-capabilities context', () => {
    const req = {
      securityMode: 1,
      capabilities: 0,
      clientGuid: Buffer.alloc(16, 3),
      dialects: [0x0202, 0x0210],
      contexts: { other: [] },
      clientStartTime: 0n,
    };
    expect(decodeNegotiateRequest(asMessage(0, encodeNegotiateRequest(req)))).toEqual(req);
    const req311 = {
      ...req,
      dialects: [0x0311],
      contexts: {
        preauthIntegrity: { hashAlgorithms: [1], salt: Buffer.alloc(32, 1) },
        signing: { algorithms: [1, 0] },
        other: [],
      },
    };
    delete (req311 as { clientStartTime?: bigint }).clientStartTime;
    expect(decodeNegotiateRequest(asMessage(0, encodeNegotiateRequest(req311)))).toEqual(req311);
  });

  it('refuses a context list that runs past the message', () => {
    const packet = hex(anatomy['negotiateRequestPacket']!);
    expect(() => decodeNegotiateRequest(packet.subarray(0, packet.length - 4))).toThrow(WcceProtocolError);
  });
});

describe('SESSION_SETUP (MS-SMB2 2.2.5, 2.2.6)', () => {
  it.each(['sessionSetupRequest1Packet', 'sessionSetupRequest2Packet'])('re-encodes the %s byte for byte', (name) => {
    const packet = hex(anatomy[name]!);
    const sut = decodeSessionSetupRequest(packet);
    expect(sut.securityMode).toBe(1);
    expect(reencode(packet, encodeSessionSetupRequest(sut))).toEqual(packet);
  });

  it.each(['sessionSetupResponse1Packet', 'sessionSetupResponse2Packet'])('re-encodes the %s byte for byte', (name) => {
    const packet = hex(anatomy[name]!);
    expect(reencode(packet, encodeSessionSetupResponse(decodeSessionSetupResponse(packet)))).toEqual(packet);
  });

  it('refuses a security buffer outside the message', () => {
    const packet = Buffer.from(hex(anatomy['sessionSetupRequest1Packet']!));
    packet.writeUInt16LE(0x400, 64 + 14);
    expect(() => decodeSessionSetupRequest(packet)).toThrow(expect.objectContaining({ field: 'SecurityBuffer' }));
  });
});

describe('READ and WRITE (MS-SMB2 2.2.19 - 2.2.22), against the 3.1.1 encryption blog messages', () => {
  const [writeReq, readReq] = gcm.requests.map((r) => hex(r.plainMessage));
  const [writeRes, readRes] = gcm.responses.map((r) => hex(r.plainMessage));

  it('re-encodes the WRITE request and response byte for byte', () => {
    const req = decodeWriteRequest(writeReq!);
    expect(req.data.toString()).toBe('Smb3 encryption testing');
    expect(reencode(writeReq!, encodeWriteRequest(req))).toEqual(writeReq);
    expect(decodeWriteResponse(writeRes!).count).toBe(0x17);
    expect(reencode(writeRes!, encodeWriteResponse(decodeWriteResponse(writeRes!)))).toEqual(writeRes);
  });

  it('re-encodes the READ request and response byte for byte', () => {
    const req = decodeReadRequest(readReq!);
    expect(req.length).toBe(0x17);
    expect(reencode(readReq!, encodeReadRequest(req))).toEqual(readReq);
    const res = decodeReadResponse(readRes!);
    expect(res.data.toString()).toBe('Smb3 encryption testing');
    expect(reencode(readRes!, encodeReadResponse(res))).toEqual(readRes);
  });

  it('refuses a READ response whose data runs past the message', () => {
    const bad = Buffer.from(readRes!);
    bad.writeUInt32LE(0x1000, 64 + 4);
    expect(() => decodeReadResponse(bad)).toThrow(expect.objectContaining({ structure: 'ReadResponse', field: 'Buffer' }));
  });
});

describe('other messages round-trip', () => {
  it('TREE_CONNECT', () => {
    const req = { flags: 0, path: '\\\\ca01.test.local\\IPC$' };
    const msg = asMessage(Smb2Command.TREE_CONNECT, encodeTreeConnectRequest(req));
    expect(msg.readUInt16LE(64 + 4)).toBe(0x48);
    expect(decodeTreeConnectRequest(msg)).toEqual(req);
    expect(shareNameOf(req.path)).toBe('IPC$');
    const res = {
      shareType: 2,
      shareFlags: 0x30,
      capabilities: 0,
      maximalAccess: 0x1f01ff,
    };
    expect(decodeTreeConnectResponse(asMessage(3, encodeTreeConnectResponse(res)))).toEqual(res);
  });

  it('CREATE request (name at 0x78) and response', () => {
    const req = {
      requestedOplockLevel: 0,
      impersonationLevel: 2,
      desiredAccess: 0x12019f,
      fileAttributes: 0x80,
      shareAccess: 3,
      createDisposition: 1,
      createOptions: 0x40,
      name: 'srvsvc',
      createContexts: Buffer.alloc(0),
    };
    const msg = asMessage(Smb2Command.CREATE, encodeCreateRequest(req));
    expect(msg.readUInt16LE(64 + 44)).toBe(0x78);
    expect(decodeCreateRequest(msg)).toEqual(req);
    const res = {
      oplockLevel: 0,
      flags: 0,
      createAction: 1,
      creationTime: 0n,
      lastAccessTime: 0n,
      lastWriteTime: 0n,
      changeTime: 0n,
      allocationSize: 4096n,
      endOfFile: 0n,
      fileAttributes: 0x80,
      fileId,
      createContexts: Buffer.alloc(0),
    };
    expect(decodeCreateResponse(asMessage(5, encodeCreateResponse(res)))).toEqual(res);
  });

  it('CLOSE, LOGOFF, TREE_DISCONNECT, ECHO', () => {
    expect(decodeCloseRequest(asMessage(6, encodeCloseRequest({ flags: 0, fileId })))).toEqual({ flags: 0, fileId });
    expect(decodeCloseResponse(asMessage(6, encodeCloseResponse(emptyCloseResponse())))).toEqual(emptyCloseResponse());
    expect(() => decodeLogoffRequest(asMessage(2, encodeLogoffRequest()))).not.toThrow();
    expect(() => decodeTreeDisconnectResponse(asMessage(4, encodeTreeDisconnectResponse()))).not.toThrow();
    expect(() => decodeEchoRequest(asMessage(13, encodeEchoRequest()))).not.toThrow();
    expect(() => decodeEchoRequest(asMessage(13, encodeCloseRequest({ flags: 0, fileId })))).toThrow(expect.objectContaining({ field: 'StructureSize' }));
  });

  it('IOCTL transceive request (input at 0x78) and response', () => {
    const req = {
      ctlCode: 0x11c017,
      fileId,
      input: Buffer.from('05000b03', 'hex'),
      maxInputResponse: 0,
      maxOutputResponse: 4280,
      flags: 1,
    };
    const msg = asMessage(Smb2Command.IOCTL, encodeIoctlRequest(req));
    expect(msg.readUInt32LE(64 + 24)).toBe(0x78);
    expect(decodeIoctlRequest(msg)).toEqual(req);
    const res = {
      ctlCode: 0x11c017,
      fileId,
      input: Buffer.alloc(0),
      output: Buffer.from('05000c03', 'hex'),
      flags: 0,
    };
    const resMsg = asMessage(Smb2Command.IOCTL, encodeIoctlResponse(res));
    expect(resMsg.readUInt32LE(64 + 32)).toBe(0x70);
    expect(decodeIoctlResponse(resMsg)).toEqual(res);
  });

  it('VALIDATE_NEGOTIATE_INFO payloads', () => {
    const req = {
      capabilities: 0x40,
      guid: Buffer.alloc(16, 1),
      securityMode: 1,
      dialects: [0x0300, 0x0302],
    };
    expect(decodeValidateNegotiateInfoRequest(encodeValidateNegotiateInfoRequest(req))).toEqual(req);
    const res = {
      capabilities: 0x40,
      guid: Buffer.alloc(16, 2),
      securityMode: 1,
      dialect: 0x0302,
    };
    expect(decodeValidateNegotiateInfoResponse(encodeValidateNegotiateInfoResponse(res))).toEqual(res);
  });

  it('ERROR response carries one byte of ErrorData when empty (MS-SMB2 2.2.2)', () => {
    const body = encodeErrorResponse();
    expect(body).toHaveLength(9);
    expect(decodeErrorResponse(asMessage(5, body))).toEqual({
      errorContextCount: 0,
      errorData: Buffer.alloc(0),
    });
  });

  it('every decoder names its structure when the body is cut short', () => {
    const header = asMessage(Smb2Command.CREATE, Buffer.alloc(0));
    expect(header).toHaveLength(SMB2_HEADER_SIZE);
    for (const decode of [decodeCreateRequest, decodeReadResponse, decodeIoctlResponse, decodeNegotiateResponse, decodeSessionSetupResponse]) {
      expect(() => decode(header)).toThrow(WcceProtocolError);
    }
  });
});
