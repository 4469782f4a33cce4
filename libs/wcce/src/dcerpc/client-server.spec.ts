import { WcceError, WcceProtocolError } from '../errors.js';
import { RpcAuthLevel, RpcAuthType } from '../security/provider.js';
import { RpcClient, type RpcBindOptions, type RpcClientOptions } from './client.js';
import { FaultStatus, PacketType, PfcFlags } from './constants.js';
import { decodeCommonHeader, decodeFrame } from './header.js';
import { RpcInterfaceRegistry, RpcServerFault, type RpcCallerIdentity } from './registry.js';
import { RpcServerConnection, type RpcServerOptions } from './server.js';
import type { SyntaxId } from './syntax.js';
import { InMemoryPipe, type InMemoryPipeOptions } from './testing/in-memory-pipe.js';
import { ToySecurityContext, type ToySecurityOptions } from './testing/toy-security.js';

const TEST_IF: SyntaxId = { uuid: '12345678-aaaa-bbbb-cccc-0123456789ab', major: 1, minor: 0 };
const OTHER_IF: SyntaxId = { uuid: '87654321-aaaa-bbbb-cccc-0123456789ab', major: 1, minor: 0 };

const Op = { ECHO: 0, FAULT: 1, MALFORMED: 2, WHOAMI: 3 } as const;

function makeRegistry(callers: RpcCallerIdentity[] = []): RpcInterfaceRegistry {
  return new RpcInterfaceRegistry().register({
    syntax: TEST_IF,
    name: 'test',
    opnumCount: 4,
    handler: async (opnum, stub, caller) => {
      callers.push(caller);
      switch (opnum) {
        case Op.ECHO:
          return Buffer.from(stub);
        case Op.FAULT:
          throw new RpcServerFault(0x1c010014, 'busy');
        case Op.MALFORMED:
          throw new WcceProtocolError('TestStub', 'field', 0, 'malformed');
        default:
          return Buffer.from(`${caller.peerName ?? 'anonymous'}/${caller.authLevel}/${caller.belowMinimumLevel}`);
      }
    },
  });
}

interface Fixture {
  sut: RpcClient;
  pipe: InMemoryPipe;
  server: RpcServerConnection;
  callers: RpcCallerIdentity[];
}

function fixture(opts: { server?: Partial<RpcServerOptions>; pipe?: InMemoryPipeOptions; client?: RpcClientOptions; toy?: ToySecurityOptions } = {}): Fixture {
  const callers: RpcCallerIdentity[] = [];
  const server = new RpcServerConnection({
    registry: makeRegistry(callers),
    acceptor: () => new ToySecurityContext('acceptor', opts.toy),
    secondaryAddress: '\\PIPE\\test',
    ...opts.server,
  });
  const pipe = new InMemoryPipe(server, opts.pipe);
  return { sut: new RpcClient(pipe, opts.client), pipe, server, callers };
}

function secured(
  level: RpcAuthLevel,
  extra: Partial<RpcBindOptions> = {},
  toy: ToySecurityOptions = {},
  authType: RpcAuthType = RpcAuthType.WINNT,
): RpcBindOptions {
  return { syntax: TEST_IF, security: { context: new ToySecurityContext('initiator', toy), authType, authLevel: level }, ...extra };
}

async function expectWcce(p: Promise<unknown>, code: string, check: (e: WcceError) => void = () => undefined): Promise<void> {
  try {
    await p;
    throw new Error('no error');
  } catch (e) {
    expect(e).toBeInstanceOf(WcceError);
    expect((e as WcceError).code).toBe(code);
    check(e as WcceError);
  }
}

const stubOf = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff));

describe(RpcClient.name, () => {
  describe('at auth level NONE', () => {
    it('binds, reports the negotiated binding and echoes a stub', async () => {
      const { sut, pipe } = fixture();
      const binding = await sut.bind({ syntax: TEST_IF });
      expect(binding).toMatchObject({
        contextId: 0,
        maxXmitFrag: 4280,
        maxRecvFrag: 4280,
        assocGroupId: 0x12345,
        secondaryAddress: '\\PIPE\\test',
        authLevel: RpcAuthLevel.NONE,
      });
      await expect(sut.call(Op.ECHO, Buffer.from('hello'))).resolves.toEqual(Buffer.from('hello'));
      // impacket's numbering: BIND = 1, first REQUEST = 2 (research notes §1.5)
      expect(pipe.sent.map((p) => [decodeCommonHeader(p).ptype, decodeCommonHeader(p).callId])).toEqual([
        [PacketType.BIND, 1],
        [PacketType.REQUEST, 2],
      ]);
      expect(pipe.calls).toEqual(['transact', 'transact']);
    });

    it('makes several sequential calls on one association', async () => {
      const { sut } = fixture();
      await sut.bind({ syntax: TEST_IF });
      for (const text of ['a', '', 'third call']) await expect(sut.call(Op.ECHO, Buffer.from(text))).resolves.toEqual(Buffer.from(text));
    });
  });

  describe('fragmentation with max_xmit_frag / max_recv_frag 1024 and a 10 KB stub', () => {
    it.each([
      ['NONE', undefined],
      ['PKT_INTEGRITY', RpcAuthLevel.PKT_INTEGRITY],
      ['PKT_PRIVACY', RpcAuthLevel.PKT_PRIVACY],
    ] as const)('at %s', async (_name, level) => {
      const { sut, pipe } = fixture();
      const options: RpcBindOptions = level === undefined ? { syntax: TEST_IF } : secured(level);
      await sut.bind({ ...options, maxXmitFrag: 1024, maxRecvFrag: 1024 });
      const stub = stubOf(10 * 1024);
      await expect(sut.call(Op.ECHO, stub)).resolves.toEqual(stub);

      const requests = pipe.sent.filter((p) => decodeCommonHeader(p).ptype === PacketType.REQUEST);
      const responses = pipe.received.filter((p) => decodeCommonHeader(p).ptype === PacketType.RESPONSE);
      for (const set of [requests, responses]) {
        expect(set.length).toBeGreaterThan(10);
        set.forEach((p, i) => {
          const h = decodeCommonHeader(p);
          expect(p.length).toBeLessThanOrEqual(1024);
          expect(h.flags & PfcFlags.FIRST_FRAG).toBe(i === 0 ? PfcFlags.FIRST_FRAG : 0);
          expect(h.flags & PfcFlags.LAST_FRAG).toBe(i === set.length - 1 ? PfcFlags.LAST_FRAG : 0);
          expect(h.callId).toBe(2);
          if (level !== undefined) {
            const frame = decodeFrame(p, 'x', 8);
            expect(frame.auth).toMatchObject({ authLevel: level, authPadLength: expect.any(Number) });
            // MS-RPCE 2.2.2.11: the sec_trailer is 16-byte aligned relative to the PDU body (the stub)
            expect((p.length - 16 - 8 - 24) % 16).toBe(0);
          }
        });
      }
      // The first reply fragment comes from transact(), the rest from read().
      const transport = pipe.calls.slice(level === undefined ? 1 : 2); // after BIND (and AUTH3)
      expect(transport.filter((c) => c === 'write').length).toBe(requests.length - 1);
      expect(transport.filter((c) => c === 'transact').length).toBe(1);
      expect(transport.filter((c) => c === 'read').length).toBe(responses.length - 1);
    });
  });

  describe('security legs', () => {
    it('runs BIND → BIND_ACK → AUTH3 for an NTLM-style context at CONNECT level (no call verifiers)', async () => {
      const { sut, pipe, callers } = fixture();
      await sut.bind(secured(RpcAuthLevel.CONNECT));
      await expect(sut.call(Op.WHOAMI, Buffer.alloc(0))).resolves.toEqual(Buffer.from('TOY\\tester/2/false'));
      expect(pipe.sent.map((p) => decodeCommonHeader(p).ptype)).toEqual([PacketType.BIND, PacketType.AUTH3, PacketType.REQUEST]);
      expect(decodeCommonHeader(pipe.sent[1]!).callId).toBe(1);
      expect(decodeCommonHeader(pipe.sent[2]!).authLength).toBe(0);
      expect(callers[0]).toMatchObject({ authType: RpcAuthType.WINNT, authLevel: RpcAuthLevel.CONNECT, peerName: 'TOY\\tester' });
    });

    it('loops ALTER_CONTEXT legs for a SPNEGO/Kerberos-style context until complete', async () => {
      const { sut, pipe } = fixture({ toy: { rounds: 2 } });
      await sut.bind(secured(RpcAuthLevel.PKT_PRIVACY, {}, { rounds: 2 }, RpcAuthType.GSS_NEGOTIATE));
      await expect(sut.call(Op.WHOAMI, Buffer.alloc(0))).resolves.toEqual(Buffer.from('TOY\\tester/6/false'));
      expect(pipe.sent.map((p) => decodeCommonHeader(p).ptype)).toEqual([
        PacketType.BIND,
        PacketType.ALTER_CONTEXT,
        PacketType.ALTER_CONTEXT,
        PacketType.REQUEST,
      ]);
      expect(pipe.received.map((p) => decodeCommonHeader(p).ptype)).toEqual([
        PacketType.BIND_ACK,
        PacketType.ALTER_CONTEXT_RESP,
        PacketType.ALTER_CONTEXT_RESP,
        PacketType.RESPONSE,
      ]);
    });

    it.each([
      [16, [16]],
      [4, [4, 16]],
    ] as const)('pads the stub so the sec_trailer is %i-byte aligned', async (alignment, divides) => {
      const { sut, pipe } = fixture({ client: { authPadAlignment: alignment } });
      await sut.bind(secured(RpcAuthLevel.PKT_PRIVACY));
      await sut.call(Op.ECHO, stubOf(129));
      const request = decodeFrame(pipe.sent.at(-1)!, 'Request', 8);
      expect(request.auth?.authPadLength).toBe(alignment === 16 ? 15 : 3);
      expect(divides).toContain(alignment);
      expect((request.body.length - 8) % alignment).toBe(0);
    });

    it('refuses a call below the minimum level with FAULT access denied (default)', async () => {
      const { sut } = fixture({ server: { minAuthLevel: RpcAuthLevel.PKT_PRIVACY } });
      await sut.bind(secured(RpcAuthLevel.PKT_INTEGRITY));
      await expectWcce(sut.call(Op.ECHO, Buffer.from('x')), 'RPC_FAULT', (e) => {
        expect(e.status).toBe(FaultStatus.ACCESS_DENIED);
        expect(e.retryable).toBe(false);
      });
    });

    it("lets the handler refuse a below-minimum call when configured ('handler', AD CS style)", async () => {
      const { sut } = fixture({ server: { minAuthLevel: RpcAuthLevel.PKT_PRIVACY, belowMinimumLevel: 'handler' } });
      await sut.bind(secured(RpcAuthLevel.PKT_INTEGRITY));
      await expect(sut.call(Op.WHOAMI, Buffer.alloc(0))).resolves.toEqual(Buffer.from('TOY\\tester/5/true'));
    });

    it('answers access denied on the first call when the AUTH3 leg failed', async () => {
      const { sut } = fixture({ toy: { rejectFinal: true } });
      await sut.bind(secured(RpcAuthLevel.PKT_PRIVACY));
      await expectWcce(sut.call(Op.ECHO, Buffer.from('x')), 'RPC_FAULT', (e) => expect(e.status).toBe(FaultStatus.ACCESS_DENIED));
    });

    it('rejects a tampered response fragment with INTEGRITY and refuses further calls', async () => {
      const { sut } = fixture({
        pipe: {
          toClient: (pdu) => {
            if (decodeCommonHeader(pdu).ptype === PacketType.RESPONSE) pdu[30] = pdu[30]! ^ 0x01;
            return pdu;
          },
        },
      });
      await sut.bind(secured(RpcAuthLevel.PKT_PRIVACY));
      await expectWcce(sut.call(Op.ECHO, stubOf(40)), 'INTEGRITY');
      await expectWcce(sut.call(Op.ECHO, stubOf(40)), 'PROTOCOL');
    });

    it('gets FAULT rpc_s_sec_pkg_error for a tampered request fragment', async () => {
      const { sut } = fixture({
        pipe: {
          toServer: (pdu) => {
            if (decodeCommonHeader(pdu).ptype === PacketType.REQUEST) pdu[pdu.length - 1] = pdu[pdu.length - 1]! ^ 0x80;
            return pdu;
          },
        },
      });
      await sut.bind(secured(RpcAuthLevel.PKT_INTEGRITY));
      await expectWcce(sut.call(Op.ECHO, stubOf(40)), 'RPC_FAULT', (e) => expect(e.status).toBe(FaultStatus.SEC_PKG_ERROR));
    });

    it('faults a call once when a middle request fragment is tampered, dropping its remaining fragments', async () => {
      const { sut, server } = fixture({
        pipe: {
          toServer: (pdu, i) => {
            if (i === 3) pdu[40] = pdu[40]! ^ 0x01; // second request fragment
            return pdu;
          },
        },
      });
      await sut.bind({ ...secured(RpcAuthLevel.PKT_PRIVACY), maxXmitFrag: 1024, maxRecvFrag: 1024 });
      await expectWcce(sut.call(Op.ECHO, stubOf(5000)), 'RPC_FAULT', (e) => expect(e.status).toBe(FaultStatus.SEC_PKG_ERROR));
      await expect(server.takeReply()).resolves.toBeUndefined();
    });

    it('rejects a response without verifier on a protected association', async () => {
      const { sut } = fixture({
        pipe: {
          toClient: (pdu) => {
            const h = decodeCommonHeader(pdu);
            if (h.ptype !== PacketType.RESPONSE) return pdu;
            const cut = Buffer.from(pdu.subarray(0, h.fragLength - h.authLength - 8));
            cut.writeUInt16LE(cut.length, 8);
            cut.writeUInt16LE(0, 10);
            return cut;
          },
        },
      });
      await sut.bind(secured(RpcAuthLevel.PKT_PRIVACY));
      await expectWcce(sut.call(Op.ECHO, stubOf(32)), 'INTEGRITY');
    });
  });

  describe('failures become typed errors', () => {
    it('maps a FAULT to RPC_FAULT with its status and keeps the association usable', async () => {
      const { sut } = fixture();
      await sut.bind({ syntax: TEST_IF });
      await expectWcce(sut.call(Op.FAULT, Buffer.alloc(0)), 'RPC_FAULT', (e) => {
        expect(e.status).toBe(0x1c010014);
        expect(e.details).toMatchObject({ faultName: 'nca_s_server_too_busy', opnum: Op.FAULT });
      });
      await expect(sut.call(Op.ECHO, Buffer.from('still here'))).resolves.toEqual(Buffer.from('still here'));
    });

    it.each([
      ['an unknown opnum', 9, FaultStatus.NCA_S_OP_RNG_ERROR],
      ['a malformed stub', Op.MALFORMED, FaultStatus.BAD_STUB_DATA],
    ])('answers %s with a FAULT', async (_name, opnum, status) => {
      const { sut } = fixture();
      await sut.bind({ syntax: TEST_IF });
      await expectWcce(sut.call(opnum, Buffer.alloc(4)), 'RPC_FAULT', (e) => expect(e.status).toBe(status));
    });

    it('rejects an unknown interface in BIND_ACK (provider_reject, abstract syntax not supported)', async () => {
      const { sut, pipe } = fixture();
      await expectWcce(sut.bind({ syntax: OTHER_IF }), 'RPC_FAULT', (e) => {
        expect(e.details).toMatchObject({ result: 2, reason: 1, reasonName: 'abstract_syntax_not_supported' });
      });
      expect(decodeCommonHeader(pipe.received[0]!).ptype).toBe(PacketType.BIND_ACK);
    });

    it('maps BIND_NAK to RPC_FAULT with the reject reason', async () => {
      const { sut } = fixture({ server: { acceptor: () => undefined } });
      await expectWcce(sut.bind(secured(RpcAuthLevel.PKT_PRIVACY)), 'RPC_FAULT', (e) => {
        expect(e.details).toMatchObject({ rejectReason: 8, rejectReasonName: 'authentication_type_not_recognized' });
      });
    });

    it('detects a response with the wrong call_id', async () => {
      const { sut } = fixture({
        pipe: {
          toClient: (pdu) => {
            if (decodeCommonHeader(pdu).ptype === PacketType.RESPONSE) pdu.writeUInt32LE(77, 12);
            return pdu;
          },
        },
      });
      await sut.bind({ syntax: TEST_IF });
      await expectWcce(sut.call(Op.ECHO, Buffer.from('x')), 'PROTOCOL', (e) => expect((e as WcceProtocolError).field).toBe('call_id'));
    });

    it.each([
      ['truncated', (p: Buffer) => p.subarray(0, p.length - 3), 'frag_length'],
      ['a wrong version', (p: Buffer) => ((p[0] = 9), p), 'rpc_vers'],
      ['an unexpected packet type', (p: Buffer) => ((p[2] = PacketType.BIND_ACK), p), 'PTYPE'],
      [
        'a fragment larger than max_recv_frag',
        (p: Buffer) => {
          const big = Buffer.concat([p, Buffer.alloc(2000)]);
          big.writeUInt16LE(big.length, 8);
          return big;
        },
        'frag_length',
      ],
    ])('refuses a %s response PDU', async (_name, garble, field) => {
      const { sut } = fixture({ pipe: { toClient: (pdu, i) => (i === 1 ? garble(pdu) : pdu) } });
      await sut.bind({ syntax: TEST_IF, maxRecvFrag: 1024 });
      await expectWcce(sut.call(Op.ECHO, Buffer.from('abc')), 'PROTOCOL', (e) => expect((e as WcceProtocolError).field).toBe(field));
    });

    it.each([
      ['garbage', () => Buffer.from('not an rpc pdu at all')],
      [
        'a truncated request',
        (p: Buffer) => {
          const cut = Buffer.from(p.subarray(0, 20));
          cut.writeUInt16LE(20, 8);
          return cut;
        },
      ],
    ])('gets a protocol-error FAULT from the server for %s', async (_name, garble) => {
      const { sut } = fixture({ pipe: { toServer: (pdu, i) => (i === 1 ? garble(pdu) : pdu) } });
      await sut.bind({ syntax: TEST_IF });
      await expectWcce(sut.call(Op.ECHO, Buffer.from('abc')), 'RPC_FAULT', (e) => expect(e.status).toBe(FaultStatus.NCA_S_PROTO_ERROR));
    });

    it('refuses call() before bind() and a second bind()', async () => {
      const { sut } = fixture();
      await expectWcce(sut.call(0, Buffer.alloc(0)), 'PROTOCOL');
      await sut.bind({ syntax: TEST_IF });
      await expectWcce(sut.bind({ syntax: TEST_IF }), 'PROTOCOL');
    });
  });
});

describe(RpcServerConnection.name, () => {
  it('answers a second BIND on the association with BIND_NAK', async () => {
    const { sut, pipe, server } = fixture();
    await sut.bind({ syntax: TEST_IF });
    const again = await server.transceive(pipe.sent[0]!);
    expect(decodeCommonHeader(again).ptype).toBe(PacketType.BIND_NAK);
  });

  it('refuses a bind offering only an unsupported transfer syntax', async () => {
    const { encodeBind } = await import('./bind.js');
    const { decodeBindAck } = await import('./bind.js');
    const server = new RpcServerConnection({ registry: makeRegistry() });
    const reply = await server.transceive(
      encodeBind({
        ptype: PacketType.BIND,
        callId: 1,
        maxXmitFrag: 4280,
        maxRecvFrag: 4280,
        assocGroupId: 0,
        contexts: [{ contextId: 0, abstractSyntax: TEST_IF, transferSyntaxes: [{ uuid: '71710533-beba-4937-8319-b5dbef9ccc36', major: 1, minor: 0 }] }],
      }),
    );
    expect(decodeBindAck(reply).results[0]).toMatchObject({ result: 2, reason: 2 });
  });

  it('returns nothing from takeReply() when no reply is queued', async () => {
    const server = new RpcServerConnection({ registry: makeRegistry() });
    await expect(server.takeReply()).resolves.toBeUndefined();
  });
});
