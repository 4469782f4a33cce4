import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { WcceError, isWcceError } from '../../errors.js';
import type { SecurityContext } from '../../security/provider.js';
import type { RpcPipeHandler } from '../../transport/rpc-transport.js';
import {
  FILE_ATTRIBUTE_NORMAL,
  FsctlCode,
  PreauthHashAlgorithm,
  SINGLE_CREDIT_PAYLOAD,
  Smb2Capabilities,
  Smb2Cipher,
  Smb2Command,
  Smb2Dialect,
  Smb2HeaderFlags,
  Smb2SecurityMode,
  Smb2SessionFlags,
  Smb2ShareFlags,
  Smb2ShareType,
  Smb2SigningAlgorithm,
  commandName,
  isSmb3,
} from '../constants.js';
import { FrameDecoder, frame } from '../framing.js';
import { type Smb2Header, buildMessage, decodeHeader, makeHeader, splitCompound } from '../header.js';
import {
  type NegotiateContexts,
  type NegotiateResponse,
  decodeCloseRequest,
  decodeCreateRequest,
  decodeIoctlRequest,
  decodeNegotiateRequest,
  decodeReadRequest,
  decodeSessionSetupRequest,
  decodeTreeConnectRequest,
  decodeValidateNegotiateInfoRequest,
  decodeWriteRequest,
  emptyCloseResponse,
  encodeCloseResponse,
  encodeCreateResponse,
  encodeEchoResponse,
  encodeErrorResponse,
  encodeIoctlResponse,
  encodeLogoffResponse,
  encodeNegotiateResponse,
  encodeReadResponse,
  encodeSessionSetupResponse,
  encodeTreeConnectResponse,
  encodeTreeDisconnectResponse,
  encodeValidateNegotiateInfoResponse,
  encodeWriteResponse,
  fileIdHex,
  shareNameOf,
} from '../messages/index.js';
import { initialPreauthHash, preauthUpdate } from '../preauth.js';
import { SessionSecurity } from '../security.js';
import { NtStatus } from '../status.js';
import { isTransformMessage, decodeTransformHeader } from '../transform.js';
import { PipeOpen } from './pipe-open.js';
import { decodeSmb1NegotiateDialects, isSmb1Message } from './smb1-negotiate.js';

/** What a pipe factory learns about the open it serves. */
export interface PipeOpenInfo {
  pipeName: string;
  /** The authenticated SMB user (SecurityContext.peerName), if the mechanism reports one. */
  peerName?: string;
  remoteAddress: string;
  /**
   * Drops this client's TCP connection without answering anything in flight (fault injection in
   * the simulator: a CA that dies mid-call). The open's handler is closed as part of the teardown.
   */
  disconnect(): void;
}

export type PipeHandlerFactory = (info: PipeOpenInfo) => RpcPipeHandler;

/** Minimal structured logger (pino-compatible signature: fields first, then message). */
export interface SmbServerLogger {
  debug?(fields: Record<string, unknown>, message: string): void;
  info?(fields: Record<string, unknown>, message: string): void;
  warn?(fields: Record<string, unknown>, message: string): void;
  error?(fields: Record<string, unknown>, message: string): void;
}

/** The connection-level configuration an SmbServer hands each connection. */
export interface ServerConnectionConfig {
  serverGuid: Buffer;
  dialects: readonly Smb2Dialect[];
  signingRequired: boolean;
  encryption: 'off' | 'supported' | 'required';
  createAcceptor: (info: { remoteAddress: string; remotePort: number }) => SecurityContext;
  pipes: ReadonlyMap<string, PipeHandlerFactory>;
  negotiateToken: Buffer;
  pendingReadWaitMs: number;
  pollMs: number;
  logger: SmbServerLogger;
  startTime: bigint;
}

interface ServerSession {
  id: bigint;
  state: 'in-progress' | 'valid';
  context: SecurityContext;
  preauthHash: Buffer;
  security?: SessionSecurity;
  encryptData: boolean;
  peerName?: string;
  trees: Map<number, { share: string; encrypt: boolean }>;
}

/** How the request arrived, which decides how its response is protected. */
interface RequestContext {
  header: Smb2Header;
  raw: Buffer;
  encrypted: boolean;
  session?: ServerSession;
}

interface Reply {
  status: number;
  body: Buffer;
  /** Sign even though the session was not valid when the request came (final SESSION_SETUP). */
  signWith?: SessionSecurity;
  /** Don't sign (errors for requests that failed verification, interim responses). */
  noSign?: boolean;
  /** Set when the response is sent later by the handler itself (async READ). */
  deferred?: boolean;
}

const MAX_CREDITS_GRANTED = 512;
const FILETIME_EPOCH_OFFSET_MS = 11644473600000n;

export function filetimeNow(): bigint {
  return (BigInt(Date.now()) + FILETIME_EPOCH_OFFSET_MS) * 10000n;
}

/**
 * The server state machine of one SMB2 TCP connection (MS-SMB2 3.3.5): NEGOTIATE (SMB1
 * multi-protocol too), SESSION_SETUP through an acceptor SecurityContext, signing and encryption,
 * IPC$ only, named-pipe CREATE/READ/WRITE/IOCTL/CLOSE, LOGOFF, ECHO, CANCEL of a pending READ.
 * Requests are handled in arrival order; a READ with no reply waits `pendingReadWaitMs`, then goes
 * async (interim STATUS_PENDING, MS-SMB2 3.3.4.2) so the queue keeps moving.
 */
export class ServerConnection {
  private readonly decoder = new FrameDecoder(SINGLE_CREDIT_PAYLOAD * 4);
  private queue: Promise<void> = Promise.resolve();
  private dialect = 0;
  private negotiated = false;
  private clientGuid: Buffer = Buffer.alloc(16);
  private clientCapabilities = 0;
  private clientSecurityMode = 0;
  private serverCapabilities = 0;
  private serverSecurityMode = 0;
  private cipher?: Smb2Cipher;
  private signingAlgorithm: Smb2SigningAlgorithm = Smb2SigningAlgorithm.AES_CMAC;
  private connectionHash = initialPreauthHash();
  private readonly sessions = new Map<bigint, ServerSession>();
  private readonly opens = new Map<string, PipeOpen>();
  private readonly asyncReads = new Map<bigint, { cancel(): void }>();
  private nextSessionId = 1n;
  private nextTreeId = 1;
  private nextAsyncId = 1n;
  private closed = false;
  readonly remoteAddress: string;
  readonly remotePort: number;

  constructor(
    private readonly socket: Socket,
    private readonly config: ServerConnectionConfig,
    private readonly onClosed: (c: ServerConnection) => void,
  ) {
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.remotePort = socket.remotePort ?? 0;
    // Session ids look like Windows' (high bits set) but are unique per connection.
    this.nextSessionId = (BigInt(randomBytes(2).readUInt16LE(0) | 0x1000) << 32n) + 1n;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log('debug', { err: err.message }, 'SMB client socket error'));
    socket.on('close', () => this.teardown());
  }

  /** Drops the connection (server shutdown). */
  destroy(): void {
    this.socket.destroy();
    this.teardown();
  }

  private log(level: keyof SmbServerLogger, fields: Record<string, unknown>, message: string): void {
    this.config.logger[level]?.({ remote: `${this.remoteAddress}:${this.remotePort}`, ...fields }, message);
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.protocolFailure(e);
      return;
    }
    for (const f of frames) {
      this.queue = this.queue.then(() => this.onFrame(f)).catch((e: unknown) => this.protocolFailure(e));
    }
  }

  /** Garbage from the peer: log a typed error and drop only this connection. */
  private protocolFailure(e: unknown): void {
    if (this.closed) return;
    const err = isWcceError(e)
      ? e
      : new WcceError('PROTOCOL', (e as Error).message ?? String(e), {
          cause: e,
        });
    this.log('warn', { code: err.code, err: err.message, details: err.details }, 'closing SMB connection after a malformed message');
    this.socket.destroy();
    this.teardown();
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const a of this.asyncReads.values()) a.cancel();
    this.asyncReads.clear();
    for (const open of this.opens.values()) open.close();
    this.opens.clear();
    this.sessions.clear();
    this.onClosed(this);
  }

  private async onFrame(wire: Buffer): Promise<void> {
    if (this.closed) return;
    if (isSmb1Message(wire)) return this.onSmb1Negotiate(wire);
    let clear = wire;
    let encrypted = false;
    if (isTransformMessage(wire)) {
      const sessionId = decodeTransformHeader(wire).sessionId;
      const session = this.sessions.get(sessionId);
      if (!session?.security?.canEncrypt) throw new WcceError('PROTOCOL', `encrypted message for unknown session 0x${sessionId.toString(16)}`);
      clear = session.security.decrypt(wire); // a bad tag throws INTEGRITY: the connection goes (MS-SMB2 3.3.5.2.1.1)
      encrypted = true;
    }
    const parts = splitCompound(clear);
    for (const raw of parts) await this.onRequest(raw, encrypted);
  }

  private async onRequest(raw: Buffer, encrypted: boolean): Promise<void> {
    const header = decodeHeader(raw);
    if (header.flags & Smb2HeaderFlags.SERVER_TO_REDIR) throw new WcceError('PROTOCOL', `received a response (${commandName(header.command)}) from a client`);
    const ctx: RequestContext = { header, raw, encrypted };
    let reply: Reply;
    try {
      reply = await this.dispatch(ctx);
    } catch (e) {
      if (!isWcceError(e) || e.code !== 'PROTOCOL') throw e;
      // A malformed body: Windows answers STATUS_INVALID_PARAMETER and keeps the connection.
      this.log('warn', { command: commandName(header.command), err: e.message }, 'malformed SMB2 request body');
      reply = {
        status: NtStatus.INVALID_PARAMETER,
        body: encodeErrorResponse(),
      };
    }
    if (!reply.deferred) this.send(ctx, reply);
  }

  private async dispatch(ctx: RequestContext): Promise<Reply> {
    const { header } = ctx;
    if (header.command === Smb2Command.NEGOTIATE) return this.onNegotiate(ctx);
    if (!this.negotiated) return error(NtStatus.INVALID_PARAMETER);
    if (header.command === Smb2Command.SESSION_SETUP) return this.onSessionSetup(ctx);
    if (header.command === Smb2Command.CANCEL) return this.onCancel(ctx);
    // ECHO needs no session; inside one it is verified and signed like any other request.
    if (header.command === Smb2Command.ECHO && header.sessionId === 0n) return { status: NtStatus.SUCCESS, body: encodeEchoResponse() };

    const session = this.sessions.get(header.sessionId);
    if (!session || session.state !== 'valid' || !session.security) return { ...error(NtStatus.USER_SESSION_DELETED), noSign: true };
    ctx.session = session;
    // MS-SMB2 3.3.5.2.4 / 3.3.5.2.9: verify before acting; encryption, when required, replaces signing.
    if (!ctx.encrypted) {
      const tree = session.trees.get(header.treeId);
      if (session.encryptData || tree?.encrypt) return { ...error(NtStatus.ACCESS_DENIED), noSign: true };
      const signed = (header.flags & Smb2HeaderFlags.SIGNED) !== 0;
      if (signed || this.config.signingRequired) {
        try {
          session.security.verify(ctx.raw, `SMB2 ${commandName(header.command)} request`);
        } catch (e) {
          this.log('warn', { command: commandName(header.command), err: (e as Error).message }, 'rejecting a badly signed request');
          return { ...error(NtStatus.ACCESS_DENIED), noSign: true };
        }
      }
    }
    switch (header.command) {
      case Smb2Command.ECHO:
        return { status: NtStatus.SUCCESS, body: encodeEchoResponse() };
      case Smb2Command.LOGOFF:
        return this.onLogoff(session);
      case Smb2Command.TREE_CONNECT:
        return this.onTreeConnect(ctx, session);
      case Smb2Command.TREE_DISCONNECT:
        return this.onTreeDisconnect(ctx, session);
      case Smb2Command.CREATE:
        return this.onCreate(ctx, session);
      case Smb2Command.CLOSE:
        return this.onClose(ctx);
      case Smb2Command.WRITE:
        return this.onWrite(ctx);
      case Smb2Command.READ:
        return this.onRead(ctx);
      case Smb2Command.IOCTL:
        return this.onIoctl(ctx);
      default:
        return error(NtStatus.NOT_SUPPORTED);
    }
  }

  // ---- NEGOTIATE (MS-SMB2 3.3.5.3, 3.3.5.4) ----

  private onSmb1Negotiate(wire: Buffer): void {
    if (this.negotiated) throw new WcceError('PROTOCOL', 'SMB1 message after SMB2 negotiation');
    const dialects = decodeSmb1NegotiateDialects(wire);
    const wildcard = dialects.includes('SMB 2.???') && this.config.dialects.some((d) => d !== Smb2Dialect.SMB202);
    const only202 = dialects.includes('SMB 2.002') && this.config.dialects.includes(Smb2Dialect.SMB202);
    if (!wildcard && !only202) throw new WcceError('UNSUPPORTED', 'SMB1-only client (no "SMB 2.002"/"SMB 2.???" dialect)');
    const dialect = wildcard ? Smb2Dialect.WILDCARD : Smb2Dialect.SMB202;
    if (dialect === Smb2Dialect.SMB202) this.completeNegotiate(Smb2Dialect.SMB202);
    const body = encodeNegotiateResponse(this.negotiateResponse(dialect, { other: [] }));
    const header = makeHeader({
      command: Smb2Command.NEGOTIATE,
      flags: Smb2HeaderFlags.SERVER_TO_REDIR,
      credits: 1,
      messageId: 0n,
    });
    this.write(buildMessage(header, body));
  }

  private onNegotiate(ctx: RequestContext): Reply {
    if (this.negotiated) throw new WcceError('PROTOCOL', 'second NEGOTIATE on a connection'); // MS-SMB2 3.3.5.4: disconnect
    const req = decodeNegotiateRequest(ctx.raw);
    const dialect = [...this.config.dialects].sort((a, b) => b - a).find((d) => req.dialects.includes(d));
    if (dialect === undefined) return error(NtStatus.NOT_SUPPORTED);
    this.clientGuid = req.clientGuid;
    this.clientCapabilities = req.capabilities;
    this.clientSecurityMode = req.securityMode;
    const contexts: NegotiateContexts = { other: [] };
    if (dialect === Smb2Dialect.SMB311) {
      if (!req.contexts.preauthIntegrity?.hashAlgorithms.includes(PreauthHashAlgorithm.SHA512)) return error(NtStatus.INVALID_PARAMETER);
      contexts.preauthIntegrity = {
        hashAlgorithms: [PreauthHashAlgorithm.SHA512],
        salt: randomBytes(32),
      };
      if (this.config.encryption !== 'off' && req.contexts.encryption) {
        const cipher = req.contexts.encryption.ciphers.find((c) => c === Smb2Cipher.AES_128_GCM || c === Smb2Cipher.AES_128_CCM) as Smb2Cipher | undefined;
        // MS-SMB2 3.3.5.4: no common cipher → answer with cipher 0 (no encryption on this connection).
        contexts.encryption = { ciphers: [cipher ?? 0] };
        if (cipher !== undefined) this.cipher = cipher;
      }
      if (req.contexts.signing) {
        const algorithms = req.contexts.signing.algorithms;
        const chosen = algorithms.includes(Smb2SigningAlgorithm.AES_CMAC)
          ? Smb2SigningAlgorithm.AES_CMAC
          : algorithms.includes(Smb2SigningAlgorithm.HMAC_SHA256)
            ? Smb2SigningAlgorithm.HMAC_SHA256
            : Smb2SigningAlgorithm.AES_CMAC;
        this.signingAlgorithm = chosen;
        contexts.signing = { algorithms: [chosen] };
      }
    } else if (isSmb3(dialect) && this.config.encryption !== 'off' && (req.capabilities & Smb2Capabilities.ENCRYPTION) !== 0) {
      this.cipher = Smb2Cipher.AES_128_CCM;
    }
    this.completeNegotiate(dialect);
    const res = this.negotiateResponse(dialect, contexts);
    if (dialect !== Smb2Dialect.SMB311 && this.cipher !== undefined) res.capabilities |= Smb2Capabilities.ENCRYPTION;
    this.serverCapabilities = res.capabilities;
    const body = encodeNegotiateResponse(res);
    if (dialect === Smb2Dialect.SMB311) {
      // The response is hashed as sent; build it here so the hash and the wire agree.
      const responseRaw = this.buildResponse(ctx, {
        status: NtStatus.SUCCESS,
        body,
      });
      this.connectionHash = preauthUpdate(preauthUpdate(initialPreauthHash(), ctx.raw), responseRaw);
      this.write(responseRaw);
      return { status: NtStatus.SUCCESS, body, deferred: true };
    }
    return { status: NtStatus.SUCCESS, body };
  }

  private completeNegotiate(dialect: Smb2Dialect): void {
    this.dialect = dialect;
    this.negotiated = true;
    if (dialect !== Smb2Dialect.SMB311)
      this.signingAlgorithm =
        dialect === Smb2Dialect.SMB202 || dialect === Smb2Dialect.SMB210 ? Smb2SigningAlgorithm.HMAC_SHA256 : Smb2SigningAlgorithm.AES_CMAC;
  }

  private negotiateResponse(dialect: number, contexts: NegotiateContexts): NegotiateResponse {
    this.serverSecurityMode = Smb2SecurityMode.SIGNING_ENABLED | (this.config.signingRequired ? Smb2SecurityMode.SIGNING_REQUIRED : 0);
    return {
      securityMode: this.serverSecurityMode,
      dialectRevision: dialect,
      serverGuid: this.config.serverGuid,
      capabilities: 0,
      maxTransactSize: SINGLE_CREDIT_PAYLOAD,
      maxReadSize: SINGLE_CREDIT_PAYLOAD,
      maxWriteSize: SINGLE_CREDIT_PAYLOAD,
      systemTime: filetimeNow(),
      serverStartTime: this.config.startTime,
      securityBuffer: this.config.negotiateToken,
      contexts,
    };
  }

  // ---- SESSION_SETUP (MS-SMB2 3.3.5.5) ----

  private async onSessionSetup(ctx: RequestContext): Promise<Reply> {
    const { header } = ctx;
    const req = decodeSessionSetupRequest(ctx.raw);
    let session: ServerSession | undefined;
    if (header.sessionId === 0n) {
      const id = this.nextSessionId++;
      session = {
        id,
        state: 'in-progress',
        context: this.config.createAcceptor({
          remoteAddress: this.remoteAddress,
          remotePort: this.remotePort,
        }),
        preauthHash: this.connectionHash,
        encryptData: false,
        trees: new Map(),
      };
      this.sessions.set(id, session);
    } else {
      session = this.sessions.get(header.sessionId);
      // Re-authentication of a valid session is not supported: a CA client never does it.
      if (!session || session.state !== 'in-progress') return { ...error(NtStatus.USER_SESSION_DELETED), noSign: true };
    }
    ctx.session = session;
    if (this.dialect === Smb2Dialect.SMB311) session.preauthHash = preauthUpdate(session.preauthHash, ctx.raw);
    let step;
    try {
      step = await session.context.step(req.securityBuffer);
    } catch (e) {
      this.sessions.delete(session.id);
      const code = isWcceError(e) ? e.code : 'PROTOCOL';
      this.log('info', { sessionId: session.id.toString(16), code, err: (e as Error).message }, 'SMB session setup failed');
      return {
        ...error(code === 'AUTH_FAILED' || code === 'INTEGRITY' ? NtStatus.LOGON_FAILURE : NtStatus.INVALID_PARAMETER),
        noSign: true,
      };
    }
    const token = step.output ?? Buffer.alloc(0);
    if (!step.complete) {
      const body = encodeSessionSetupResponse({
        sessionFlags: 0,
        securityBuffer: token,
      });
      const reply: Reply = {
        status: NtStatus.MORE_PROCESSING_REQUIRED,
        body,
        noSign: true,
      };
      if (this.dialect === Smb2Dialect.SMB311) {
        const raw = this.buildResponse(ctx, reply);
        session.preauthHash = preauthUpdate(session.preauthHash, raw);
        this.write(raw);
        return { ...reply, deferred: true };
      }
      return reply;
    }
    // Complete: derive keys (3.1.1 from the hash after this last request) and sign the final response.
    const security = new SessionSecurity({
      role: 'server',
      dialect: this.dialect,
      sessionId: session.id,
      gssKey: session.context.sessionKey(),
      ...(this.dialect === Smb2Dialect.SMB311 ? { preauthHash: session.preauthHash } : {}),
      signingAlgorithm: this.signingAlgorithm,
      ...(this.cipher !== undefined ? { cipher: this.cipher } : {}),
    });
    if (this.config.encryption === 'required' && !security.canEncrypt) {
      this.sessions.delete(session.id);
      this.log('info', { sessionId: session.id.toString(16), dialect: this.dialect }, 'refusing a session that cannot be encrypted');
      return { ...error(NtStatus.ACCESS_DENIED), noSign: true };
    }
    session.security = security;
    session.state = 'valid';
    session.encryptData = this.config.encryption === 'required';
    if (session.context.peerName !== undefined) session.peerName = session.context.peerName;
    this.log(
      'info',
      {
        sessionId: session.id.toString(16),
        peer: session.peerName,
        dialect: this.dialect.toString(16),
        encrypted: session.encryptData,
      },
      'SMB session established',
    );
    const body = encodeSessionSetupResponse({
      sessionFlags: session.encryptData ? Smb2SessionFlags.ENCRYPT_DATA : 0,
      securityBuffer: token,
    });
    return { status: NtStatus.SUCCESS, body, signWith: security };
  }

  private onLogoff(session: ServerSession): Reply {
    for (const [key, open] of this.opens) {
      if (open.sessionId === session.id) {
        open.close();
        this.opens.delete(key);
      }
    }
    this.sessions.delete(session.id);
    // The response is still protected with the session's keys (send() looks at the request context).
    return { status: NtStatus.SUCCESS, body: encodeLogoffResponse() };
  }

  // ---- TREE_CONNECT / TREE_DISCONNECT (MS-SMB2 3.3.5.7, 3.3.5.8) ----

  private onTreeConnect(ctx: RequestContext, session: ServerSession): Reply {
    const req = decodeTreeConnectRequest(ctx.raw);
    const share = shareNameOf(req.path);
    if (share.toUpperCase() !== 'IPC$') return error(NtStatus.BAD_NETWORK_NAME);
    const treeId = this.nextTreeId++;
    const encrypt = this.config.encryption === 'required';
    session.trees.set(treeId, { share: 'IPC$', encrypt });
    ctx.header = { ...ctx.header, treeId };
    return {
      status: NtStatus.SUCCESS,
      body: encodeTreeConnectResponse({
        shareType: Smb2ShareType.PIPE,
        shareFlags: encrypt && isSmb3(this.dialect) ? Smb2ShareFlags.ENCRYPT_DATA : 0,
        capabilities: 0,
        maximalAccess: 0x001f01ff,
      }),
    };
  }

  private onTreeDisconnect(ctx: RequestContext, session: ServerSession): Reply {
    if (!session.trees.delete(ctx.header.treeId)) return error(NtStatus.NETWORK_NAME_DELETED);
    for (const [key, open] of this.opens) {
      if (open.sessionId === session.id && open.treeId === ctx.header.treeId) {
        open.close();
        this.opens.delete(key);
      }
    }
    return { status: NtStatus.SUCCESS, body: encodeTreeDisconnectResponse() };
  }

  // ---- CREATE / CLOSE (MS-SMB2 3.3.5.9, 3.3.5.10) ----

  private onCreate(ctx: RequestContext, session: ServerSession): Reply {
    if (!session.trees.has(ctx.header.treeId)) return error(NtStatus.NETWORK_NAME_DELETED);
    const req = decodeCreateRequest(ctx.raw);
    const name = req.name
      .replace(/^\\+/, '')
      .replace(/^pipe\\/i, '')
      .toLowerCase();
    const factory = this.config.pipes.get(name);
    if (!factory) {
      this.log('debug', { pipe: req.name }, 'CREATE of an unknown pipe');
      return error(NtStatus.OBJECT_NAME_NOT_FOUND);
    }
    const info: PipeOpenInfo = {
      pipeName: name,
      remoteAddress: this.remoteAddress,
      disconnect: () => this.destroy(),
    };
    if (session.peerName !== undefined) info.peerName = session.peerName;
    const fileId = randomBytes(16);
    const open = new PipeOpen(name, fileId, session.id, ctx.header.treeId, factory(info));
    this.opens.set(fileIdHex(fileId), open);
    const now = filetimeNow();
    return {
      status: NtStatus.SUCCESS,
      body: encodeCreateResponse({
        oplockLevel: 0,
        flags: 0,
        createAction: 1, // FILE_OPENED
        creationTime: 0n,
        lastAccessTime: now,
        lastWriteTime: now,
        changeTime: now,
        allocationSize: 4096n,
        endOfFile: 0n,
        fileAttributes: FILE_ATTRIBUTE_NORMAL,
        fileId,
        createContexts: Buffer.alloc(0),
      }),
    };
  }

  private findOpen(ctx: RequestContext, fileId: Buffer): PipeOpen | undefined {
    const open = this.opens.get(fileIdHex(fileId));
    if (!open || open.sessionId !== ctx.header.sessionId || open.treeId !== ctx.header.treeId) return undefined;
    return open;
  }

  private onClose(ctx: RequestContext): Reply {
    const req = decodeCloseRequest(ctx.raw);
    const open = this.findOpen(ctx, req.fileId);
    if (!open) return error(NtStatus.FILE_CLOSED);
    open.close();
    this.opens.delete(fileIdHex(req.fileId));
    return {
      status: NtStatus.SUCCESS,
      body: encodeCloseResponse(emptyCloseResponse()),
    };
  }

  // ---- WRITE / READ / IOCTL on pipes (MS-SMB2 3.3.5.12, 3.3.5.13, 3.3.5.15.1) ----

  private async onWrite(ctx: RequestContext): Promise<Reply> {
    const req = decodeWriteRequest(ctx.raw);
    const open = this.findOpen(ctx, req.fileId);
    if (!open) return error(NtStatus.FILE_CLOSED);
    try {
      await open.write(req.data);
    } catch (e) {
      this.log('warn', { pipe: open.name, err: (e as Error).message }, 'pipe handler failed a write');
      return error(NtStatus.PIPE_BROKEN);
    }
    return {
      status: NtStatus.SUCCESS,
      body: encodeWriteResponse({ count: req.data.length, remaining: 0 }),
    };
  }

  private async onRead(ctx: RequestContext): Promise<Reply> {
    const req = decodeReadRequest(ctx.raw);
    const open = this.findOpen(ctx, req.fileId);
    if (!open) return error(NtStatus.FILE_CLOSED);
    const length = Math.min(req.length, SINGLE_CREDIT_PAYLOAD);
    const readyBy = Date.now() + this.config.pendingReadWaitMs;
    // Wait briefly in line: almost always the reply is already queued (the WRITE produced it).
    for (;;) {
      const chunk = await open.takeChunk(length);
      if (chunk) return readReply(chunk.data, chunk.more);
      if (open.isClosed) return error(NtStatus.PIPE_BROKEN);
      const left = readyBy - Date.now();
      if (left <= 0) break;
      await open.changed(Math.min(left, this.config.pollMs));
    }
    // Still nothing: answer STATUS_PENDING now and complete the READ when a reply appears, the
    // pipe closes (PIPE_BROKEN) or the client CANCELs it. Windows named pipes block the same way.
    const asyncId = this.nextAsyncId++;
    this.send(ctx, { status: NtStatus.PENDING, body: encodeErrorResponse(), noSign: true }, asyncId);
    let cancelled = false;
    this.asyncReads.set(asyncId, {
      cancel: () => {
        cancelled = true;
      },
    });
    void (async () => {
      let reply: Reply;
      try {
        for (;;) {
          if (cancelled) {
            reply = error(NtStatus.CANCELLED);
            break;
          }
          const chunk = await open.takeChunk(length);
          if (chunk) {
            reply = readReply(chunk.data, chunk.more);
            break;
          }
          if (open.isClosed) {
            reply = error(NtStatus.PIPE_BROKEN);
            break;
          }
          await open.changed(this.config.pollMs);
        }
      } catch (e) {
        this.log('warn', { pipe: open.name, err: (e as Error).message }, 'pipe handler failed a read');
        reply = error(NtStatus.PIPE_BROKEN);
      }
      this.asyncReads.delete(asyncId);
      if (!this.closed) this.send(ctx, reply, asyncId, true);
    })();
    return { status: NtStatus.PENDING, body: Buffer.alloc(0), deferred: true };
  }

  private onCancel(ctx: RequestContext): Reply {
    // MS-SMB2 3.3.5.16: no response to CANCEL itself; the cancelled request answers STATUS_CANCELLED.
    if (ctx.header.flags & Smb2HeaderFlags.ASYNC_COMMAND) this.asyncReads.get(ctx.header.asyncId)?.cancel();
    return { status: NtStatus.SUCCESS, body: Buffer.alloc(0), deferred: true };
  }

  private async onIoctl(ctx: RequestContext): Promise<Reply> {
    const req = decodeIoctlRequest(ctx.raw);
    if (req.ctlCode === FsctlCode.VALIDATE_NEGOTIATE_INFO) return this.onValidateNegotiate(req.input);
    if (req.ctlCode !== FsctlCode.PIPE_TRANSCEIVE) return error(NtStatus.NOT_SUPPORTED);
    const open = this.findOpen(ctx, req.fileId);
    if (!open) return error(NtStatus.FILE_CLOSED);
    let chunk;
    try {
      chunk = await open.transceive(req.input, Math.min(req.maxOutputResponse, SINGLE_CREDIT_PAYLOAD));
    } catch (e) {
      this.log('warn', { pipe: open.name, err: (e as Error).message }, 'pipe handler failed a transceive');
      return error(NtStatus.PIPE_BROKEN);
    }
    return {
      status: chunk.more ? NtStatus.BUFFER_OVERFLOW : NtStatus.SUCCESS,
      body: encodeIoctlResponse({
        ctlCode: req.ctlCode,
        fileId: req.fileId,
        input: Buffer.alloc(0),
        output: chunk.data,
        flags: 0,
      }),
    };
  }

  /** MS-SMB2 3.3.5.15.12: echo what NEGOTIATE settled, so the client can detect a downgrade. */
  private onValidateNegotiate(input: Buffer): Reply {
    const v = decodeValidateNegotiateInfoRequest(input);
    if (
      v.capabilities !== this.clientCapabilities ||
      !v.guid.equals(this.clientGuid) ||
      v.securityMode !== this.clientSecurityMode ||
      !v.dialects.includes(this.dialect)
    ) {
      throw new WcceError('INTEGRITY', 'VALIDATE_NEGOTIATE_INFO does not match the NEGOTIATE request');
    }
    const output = encodeValidateNegotiateInfoResponse({
      capabilities: this.serverCapabilities,
      guid: this.config.serverGuid,
      securityMode: this.serverSecurityMode,
      dialect: this.dialect,
    });
    return {
      status: NtStatus.SUCCESS,
      body: encodeIoctlResponse({
        ctlCode: FsctlCode.VALIDATE_NEGOTIATE_INFO,
        fileId: Buffer.alloc(16, 0xff),
        input: Buffer.alloc(0),
        output,
        flags: 0,
      }),
    };
  }

  // ---- responses ----

  /** The response message in clear, before signing/encryption. */
  private buildResponse(ctx: RequestContext, reply: Reply, asyncId?: bigint, final = false): Buffer {
    const req = ctx.header;
    const requested = Math.max(1, Math.min(req.credits, MAX_CREDITS_GRANTED));
    const header = makeHeader({
      command: req.command,
      status: reply.status,
      creditCharge: req.creditCharge,
      // Credits are granted with the interim response of an async operation, not again at its end.
      credits: final ? 0 : requested,
      flags: Smb2HeaderFlags.SERVER_TO_REDIR | (asyncId !== undefined ? Smb2HeaderFlags.ASYNC_COMMAND : 0),
      messageId: req.messageId,
      treeId: req.treeId,
      processId: req.processId,
      asyncId: asyncId ?? 0n,
      sessionId: ctx.session?.id ?? req.sessionId,
    });
    return buildMessage(header, reply.body);
  }

  private send(ctx: RequestContext, reply: Reply, asyncId?: bigint, final = false): void {
    if (this.closed) return;
    const raw = this.buildResponse(ctx, reply, asyncId, final);
    const session = ctx.session;
    const security = reply.signWith ?? (session?.state === 'valid' ? session.security : undefined);
    if (ctx.encrypted && security?.canEncrypt) {
      this.write(security.encrypt(raw));
      return;
    }
    if (security && !reply.noSign && reply.status !== NtStatus.PENDING) {
      const requestSigned = (ctx.header.flags & Smb2HeaderFlags.SIGNED) !== 0;
      if (reply.signWith || requestSigned || this.config.signingRequired) security.sign(raw);
    }
    this.write(raw);
  }

  private write(message: Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(frame(message));
  }

  /** For diagnostics and tests. */
  get stats(): { sessions: number; opens: number; dialect: number } {
    return {
      sessions: this.sessions.size,
      opens: this.opens.size,
      dialect: this.dialect,
    };
  }
}

function error(status: number): Reply {
  return { status, body: encodeErrorResponse() };
}

function readReply(data: Buffer, more: boolean): Reply {
  return {
    status: more ? NtStatus.BUFFER_OVERFLOW : NtStatus.SUCCESS,
    body: encodeReadResponse({ data, dataRemaining: 0, flags: 0 }),
  };
}
