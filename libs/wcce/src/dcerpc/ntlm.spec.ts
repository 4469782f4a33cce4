import { decodeCertServerResponse } from '../icpr/response.js';
import { encodeCertServerRequest } from '../icpr/request.js';
import { mapCertServerResponse } from '../icpr/result.js';
import { ICERT_PASSAGE } from '../icpr/constants.js';
import { NtlmAcceptorContext, NtlmInitiatorContext, ntHash } from '../ntlm/index.js';
import { RpcAuthLevel, RpcAuthType } from '../security/provider.js';
import type { RpcTransport } from '../transport/rpc-transport.js';
import { RpcClient } from './client.js';
import { FaultStatus, PacketType } from './constants.js';
import { decodeCommonHeader } from './header.js';
import { RpcInterfaceRegistry } from './registry.js';
import { RpcServerConnection, type RpcServerOptions } from './server.js';
import { InMemoryPipe, type InMemoryPipeOptions } from './testing/in-memory-pipe.js';
import { hexBuf, loadVector, type AppendixA } from './testing/vectors.js';

/**
 * DCE/RPC with the real NTLM provider: Appendix A replayed byte for byte in both roles, then
 * client ↔ server at PKT_INTEGRITY and PKT_PRIVACY.
 */
const A = loadVector<AppendixA>('dcerpc/appendix-a.json');
const ICPR_REFERENTS = { authority: 0x20008, attributes: 0x20000, request: 0x20004 };

const initiator = (): NtlmInitiatorContext =>
  new NtlmInitiatorContext({
    credentials: { kind: 'ntlm', domain: 'TEST', user: 'svc-enroll', password: 'Passw0rd!' },
    style: 'impacket',
    random: { clientChallenge: () => Buffer.from('3ahovCJQ'), exportedSessionKey: () => Buffer.from('X4bipwDKRY5cjqxE') },
  });

const acceptor = (password = 'Passw0rd!'): NtlmAcceptorContext =>
  new NtlmAcceptorContext({
    lookupUser: (user) => (user.toLowerCase() === 'svc-enroll' ? ntHash(password) : undefined),
    netbiosDomain: 'TEST',
    netbiosComputer: 'CA01',
    dnsDomain: 'test.local',
    dnsComputer: 'ca01.test.local',
    dnsTree: 'test.local',
    random: { serverChallenge: () => hexBuf('0123456789abcdef') },
    // FILETIME 133500000000000000 (Appendix A's MsvAvTimestamp)
    now: () => new Date((133500000000000000 - 116444736000000000) / 10000),
  });

/** Plays the scripted server of Appendix A and checks what the client sends, PDU by PDU. */
class ScriptedTransport implements RpcTransport {
  readonly maxPduSize = 65535;
  readonly seen: string[] = [];
  constructor(private readonly replies: Record<string, string>) {}
  private answer(pdu: Buffer): Buffer {
    const name = pdu.toString('hex') === A.bind ? 'bind' : pdu.toString('hex') === A.request ? 'request' : `unexpected:${pdu.toString('hex')}`;
    this.seen.push(name);
    const reply = this.replies[name];
    if (!reply) throw new Error(`no scripted reply for ${name}`);
    return hexBuf(reply);
  }
  async write(pdu: Buffer): Promise<void> {
    this.seen.push(pdu.toString('hex') === A.auth3 ? 'auth3' : `unexpected:${pdu.toString('hex')}`);
  }
  async read(): Promise<Buffer> {
    throw new Error('no further PDUs scripted');
  }
  async transact(pdu: Buffer): Promise<Buffer> {
    return this.answer(pdu);
  }
  async close(): Promise<void> {}
}

describe(`${RpcClient.name} with NTLM`, () => {
  it('reproduces Appendix A byte for byte: BIND, AUTH3 and the sealed REQUEST (4-byte padding), then unseals the RESPONSE', async () => {
    const transport = new ScriptedTransport({ bind: A.bindAck, request: A.response });
    const sut = new RpcClient(transport, { authPadAlignment: 4 });
    await sut.bind({ syntax: ICERT_PASSAGE, security: { context: initiator(), authType: RpcAuthType.WINNT, authLevel: RpcAuthLevel.PKT_PRIVACY } });
    const stub = encodeCertServerRequest(
      { flags: 0, authority: 'test-CA', requestId: 0, attributes: Buffer.from('CertificateTemplate:WebServer\0', 'utf16le'), request: hexBuf('3003020100') },
      ICPR_REFERENTS,
    );
    expect(stub.toString('hex')).toBe(A.requestStub);
    const out = await sut.call(0, stub);
    expect(transport.seen).toEqual(['bind', 'auth3', 'request']);
    expect(out.toString('hex')).toBe(A.responseStub);
    expect(mapCertServerResponse(decodeCertServerResponse(out))).toMatchObject({
      status: 'issued',
      requestId: 17,
      certificate: hexBuf('3003020102'),
      pkcs7: hexBuf('3003020101'),
    });
  });
});

describe(`${RpcServerConnection.name} with NTLM`, () => {
  it('answers the Appendix A client byte for byte: BIND_ACK and the sealed RESPONSE', async () => {
    const seenStubs: string[] = [];
    const registry = new RpcInterfaceRegistry().register({
      syntax: ICERT_PASSAGE,
      opnumCount: 1,
      // Return the recorded plaintext (its pad bytes are not zero, so it is used verbatim).
      handler: async (_op, stub, caller) => (seenStubs.push(`${caller.peerName}:${stub.toString('hex')}`), hexBuf(A.responseStub)),
    });
    const sut = new RpcServerConnection({
      registry,
      acceptor: (type) => (type === RpcAuthType.WINNT ? acceptor() : undefined),
      secondaryAddress: '\\PIPE\\cert',
      assocGroupId: 0x12345,
      authPadAlignment: 4,
      minAuthLevel: RpcAuthLevel.PKT_PRIVACY,
    });
    expect((await sut.transceive(hexBuf(A.bind))).toString('hex')).toBe(A.bindAck);
    await sut.onWrite(hexBuf(A.auth3));
    await expect(sut.takeReply()).resolves.toBeUndefined();
    expect(sut.peerName).toBe('TEST\\svc-enroll');
    expect((await sut.transceive(hexBuf(A.request))).toString('hex')).toBe(A.response);
    expect(seenStubs).toEqual([`TEST\\svc-enroll:${A.requestStub}`]);
  });
});

describe('NTLM client ↔ server', () => {
  const echo = new RpcInterfaceRegistry().register({
    syntax: ICERT_PASSAGE,
    opnumCount: 1,
    handler: async (_op, stub, caller) => Buffer.concat([Buffer.from(`${caller.peerName}|${caller.authLevel}|`), stub]),
  });

  function connect(server: Partial<RpcServerOptions> = {}, pipe: InMemoryPipeOptions = {}, password?: string) {
    const conn = new RpcServerConnection({ registry: echo, acceptor: () => acceptor(password), ...server });
    const transport = new InMemoryPipe(conn, pipe);
    const client = new RpcClient(transport);
    const bind = (level: RpcAuthLevel, frag = 4280) =>
      client.bind({
        syntax: ICERT_PASSAGE,
        maxXmitFrag: frag,
        maxRecvFrag: frag,
        security: {
          context: new NtlmInitiatorContext({ credentials: { kind: 'ntlm', domain: 'TEST', user: 'svc-enroll', password: 'Passw0rd!' } }),
          authType: RpcAuthType.WINNT,
          authLevel: level,
        },
      });
    return { client, bind, transport };
  }

  const stub = Buffer.from(Array.from({ length: 10 * 1024 }, (_, i) => i & 0xff));

  it.each([
    ['PKT_INTEGRITY', RpcAuthLevel.PKT_INTEGRITY],
    ['PKT_PRIVACY', RpcAuthLevel.PKT_PRIVACY],
  ])('makes fragmented calls at %s with max frag 1024', async (_name, level) => {
    const { client, bind, transport } = connect();
    await bind(level, 1024);
    for (let i = 0; i < 2; i++) {
      const out = await client.call(0, stub);
      const prefix = Buffer.from(`TEST\\svc-enroll|${level}|`);
      expect(out.subarray(0, prefix.length)).toEqual(prefix);
      expect(out.subarray(prefix.length)).toEqual(stub);
    }
    expect(transport.sent.every((p) => p.length <= 1024)).toBe(true);
    expect(transport.received.every((p) => p.length <= 1024)).toBe(true);
    if (level === RpcAuthLevel.PKT_PRIVACY) {
      // sealed: the plaintext pattern must not appear on the wire
      const wire = Buffer.concat(transport.sent.slice(2));
      expect(wire.includes(stub.subarray(100, 132))).toBe(false);
    }
  });

  it('refuses a below-privacy request (FAULT access denied) when the server requires PKT_PRIVACY', async () => {
    const { client, bind } = connect({ minAuthLevel: RpcAuthLevel.PKT_PRIVACY });
    await bind(RpcAuthLevel.PKT_INTEGRITY);
    await expect(client.call(0, Buffer.from('x'))).rejects.toMatchObject({ code: 'RPC_FAULT', status: FaultStatus.ACCESS_DENIED });
  });

  it('refuses a wrong password: the AUTH3 leg fails and the first call gets access denied', async () => {
    const { client, bind } = connect({}, {}, 'another password');
    await bind(RpcAuthLevel.PKT_PRIVACY);
    await expect(client.call(0, Buffer.from('x'))).rejects.toMatchObject({ code: 'RPC_FAULT', status: FaultStatus.ACCESS_DENIED });
  });

  it('rejects a tampered sealed response fragment with INTEGRITY', async () => {
    const { client, bind } = connect(
      {},
      {
        toClient: (pdu, i) => {
          if (decodeCommonHeader(pdu).ptype === PacketType.RESPONSE && i === 3) pdu[40] = pdu[40]! ^ 0x01;
          return pdu;
        },
      },
    );
    await bind(RpcAuthLevel.PKT_PRIVACY, 1024);
    await expect(client.call(0, stub)).rejects.toMatchObject({ code: 'INTEGRITY' });
  });

  it('gets FAULT rpc_s_sec_pkg_error for a tampered sealed request fragment', async () => {
    const { client, bind } = connect(
      {},
      {
        toServer: (pdu, i) => {
          if (i === 3) pdu[50] = pdu[50]! ^ 0x01;
          return pdu;
        },
      },
    );
    await bind(RpcAuthLevel.PKT_PRIVACY, 1024);
    await expect(client.call(0, stub)).rejects.toMatchObject({ code: 'RPC_FAULT', status: FaultStatus.SEC_PKG_ERROR });
  });
});
