import { randomBytes } from 'node:crypto';
import { WcceError, hex32 } from '../../errors.js';
import type { SecurityContext, SecurityProvider } from '../../security/provider.js';
import {
  ALL_DIALECTS,
  FsctlCode,
  PreauthHashAlgorithm,
  SINGLE_CREDIT_PAYLOAD,
  SMB2_0_IOCTL_IS_FSCTL,
  Smb2Capabilities,
  Smb2Cipher,
  Smb2Command,
  Smb2Dialect,
  Smb2HeaderFlags,
  Smb2SecurityMode,
  Smb2SessionFlags,
  Smb2ShareFlags,
  Smb2SigningAlgorithm,
  dialectName,
  isSmb3,
} from '../constants.js';
import {
  type NegotiateResponse,
  decodeIoctlResponse,
  decodeNegotiateResponse,
  decodeSessionSetupResponse,
  decodeTreeConnectResponse,
  decodeValidateNegotiateInfoResponse,
  encodeEchoRequest,
  encodeIoctlRequest,
  encodeLogoffRequest,
  encodeNegotiateRequest,
  encodeSessionSetupRequest,
  encodeTreeConnectRequest,
  encodeTreeDisconnectRequest,
  encodeValidateNegotiateInfoRequest,
} from '../messages/index.js';
import { initialPreauthHash, preauthUpdate } from '../preauth.js';
import { SessionSecurity } from '../security.js';
import { AUTH_FAILURE_STATUSES, NtStatus, statusName } from '../status.js';
import { SmbConnection, type Smb2Request, type Smb2Response } from './connection.js';
import { SmbPipe, type SmbPipeOptions } from './pipe.js';

/**
 * An authenticated SMB2/3 session on its own connection, with the IPC$ tree for named pipes
 * (MS-SMB2 3.2.4.2 NEGOTIATE, 3.2.4.2.3 SESSION_SETUP, 3.2.4.2.4 TREE_CONNECT).
 */
export interface SmbSessionOptions {
  /** Address to connect to (IP or name). */
  host: string;
  /** Default 445. */
  port?: number;
  /** Server name for the SPN/NTLM target and the `\\server\IPC$` path; defaults to `host`. */
  serverName?: string;
  provider: SecurityProvider;
  /** Dialects to offer, lowest to highest (default 2.0.2, 2.1, 3.0, 3.0.2, 3.1.1). */
  dialects?: readonly Smb2Dialect[];
  /** Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Per request/response exchange; default 30 000 ms (acme2certifier uses 5 s). */
  timeoutMs?: number;
  /**
   * 'auto' (default): offer encryption, use it when the server requires it (session or share);
   * 'required': encrypt everything after SESSION_SETUP, fail if the server cannot;
   * 'off': never offer it.
   */
  encryption?: 'auto' | 'required' | 'off';
  /** Send FSCTL_VALIDATE_NEGOTIATE_INFO after tree connect on 3.0/3.0.2 (MS-SMB2 3.2.5.5). Default true. */
  validateNegotiate?: boolean;
}

/** What NEGOTIATE settled (MS-SMB2 3.2.5.2). */
export interface SmbNegotiated {
  dialect: Smb2Dialect;
  serverGuid: Buffer;
  serverSigningRequired: boolean;
  maxTransactSize: number;
  maxReadSize: number;
  maxWriteSize: number;
  cipher?: Smb2Cipher;
  signingAlgorithm: Smb2SigningAlgorithm;
}

const DEFAULTS = {
  port: 445,
  connectTimeoutMs: 10_000,
  timeoutMs: 30_000,
} as const;
const IPC_SHARE = 'IPC$';

export class SmbSession {
  private ipcTreeId?: number;
  private ipcEncrypt = false;
  private closed = false;
  private readonly pipes = new Set<SmbPipe>();

  private constructor(
    private readonly connection: SmbConnection,
    readonly negotiated: SmbNegotiated,
    readonly sessionId: bigint,
    private readonly security: SessionSecurity,
    private readonly encryptSession: boolean,
    readonly serverName: string,
    private readonly options: SmbSessionOptions,
  ) {}

  get dialect(): Smb2Dialect {
    return this.negotiated.dialect;
  }

  /** False once closed here or once the server dropped the TCP connection (pools must not reuse it). */
  get isOpen(): boolean {
    return !this.closed && !this.connection.isClosed;
  }

  /** True when this session's traffic is SMB3-encrypted. */
  get encrypted(): boolean {
    return this.encryptSession || this.ipcEncrypt;
  }

  /** Connects, negotiates, authenticates with `options.provider`. */
  static async connect(options: SmbSessionOptions): Promise<SmbSession> {
    const port = options.port ?? DEFAULTS.port;
    const connection = await SmbConnection.connect({
      host: options.host,
      port,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    });
    try {
      const { negotiated, preauthHash } = await negotiate(connection, options);
      connection.dialect = negotiated.dialect;
      const serverName = options.serverName ?? options.host;
      const { sessionId, security, sessionFlags } = await sessionSetup(connection, options, negotiated, preauthHash, serverName);
      const wantEncrypt = (sessionFlags & Smb2SessionFlags.ENCRYPT_DATA) !== 0 || options.encryption === 'required';
      if (wantEncrypt && !security.canEncrypt) {
        throw new WcceError('UNSUPPORTED', `SMB encryption required but not negotiated with ${options.host} (dialect ${dialectName(negotiated.dialect)})`);
      }
      return new SmbSession(connection, negotiated, sessionId, security, wantEncrypt, serverName, options);
    } catch (e) {
      await connection.close();
      throw e;
    }
  }

  /** Opens `\pipe\<name>` on IPC$ (connecting the tree on first use). `name` without `\pipe\`. */
  async openPipe(name: string, options: SmbPipeOptions = {}): Promise<SmbPipe> {
    this.assertOpen();
    const treeId = await this.ipcTree();
    const pipe = await SmbPipe.open(this, treeId, name.replace(/^\\?(pipe\\)?/i, ''), options);
    this.pipes.add(pipe);
    return pipe;
  }

  /** MS-SMB2 2.2.28 ECHO: a cheap liveness probe. */
  async echo(): Promise<void> {
    await this.request({ command: Smb2Command.ECHO, body: encodeEchoRequest() }, [NtStatus.SUCCESS], 'ECHO');
  }

  /** Closes pipes, disconnects the tree, logs off, closes the socket; never throws. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const pipe of [...this.pipes]) await pipe.close().catch(() => undefined);
    this.closed = true;
    try {
      if (this.ipcTreeId !== undefined && !this.connection.isClosed) {
        await this.exchange({
          command: Smb2Command.TREE_DISCONNECT,
          body: encodeTreeDisconnectRequest(),
          treeId: this.ipcTreeId,
        });
      }
      if (!this.connection.isClosed)
        await this.exchange({
          command: Smb2Command.LOGOFF,
          body: encodeLogoffRequest(),
        });
    } catch {
      // Tear-down is best effort: the socket goes anyway.
    }
    await this.connection.close();
  }

  /** @internal used by SmbPipe. */
  forgetPipe(pipe: SmbPipe): void {
    this.pipes.delete(pipe);
  }

  /** @internal Sends a request in this session, signed or encrypted as negotiated. */
  exchange(req: Omit<Smb2Request, 'sessionId' | 'sign' | 'encrypt' | 'verify'>): Promise<Smb2Response> {
    const encrypt = this.encryptSession || (req.treeId !== undefined && req.treeId === this.ipcTreeId && this.ipcEncrypt);
    const full: Smb2Request = {
      ...req,
      sessionId: this.sessionId,
      verify: this.security,
    };
    if (encrypt) full.encrypt = this.security;
    else full.sign = this.security;
    return this.connection.send(full);
  }

  /** @internal exchange() that maps any status outside `ok` to a typed error. */
  async request(req: Omit<Smb2Request, 'sessionId' | 'sign' | 'encrypt' | 'verify'>, ok: readonly number[], what: string): Promise<Smb2Response> {
    const res = await this.exchange(req);
    if (!ok.includes(res.header.status)) throw statusError(res.header.status, `${what} on ${this.serverName}`);
    return res;
  }

  get limits(): {
    maxReadSize: number;
    maxWriteSize: number;
    maxTransactSize: number;
  } {
    const cap = (n: number): number => Math.max(1024, Math.min(n, SINGLE_CREDIT_PAYLOAD));
    return {
      maxReadSize: cap(this.negotiated.maxReadSize),
      maxWriteSize: cap(this.negotiated.maxWriteSize),
      maxTransactSize: cap(this.negotiated.maxTransactSize),
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new WcceError('TRANSPORT', 'SMB session is closed');
  }

  private async ipcTree(): Promise<number> {
    if (this.ipcTreeId !== undefined) return this.ipcTreeId;
    const path = `\\\\${this.serverName}\\${IPC_SHARE}`;
    const res = await this.request(
      {
        command: Smb2Command.TREE_CONNECT,
        body: encodeTreeConnectRequest({ flags: 0, path }),
      },
      [NtStatus.SUCCESS],
      `TREE_CONNECT ${path}`,
    );
    const tree = decodeTreeConnectResponse(res.raw);
    this.ipcTreeId = res.header.treeId;
    if ((tree.shareFlags & Smb2ShareFlags.ENCRYPT_DATA) !== 0 && this.options.encryption !== 'off') {
      if (!this.security.canEncrypt) throw new WcceError('UNSUPPORTED', `${path} requires encryption, which was not negotiated`);
      this.ipcEncrypt = true;
    }
    if (this.options.validateNegotiate !== false && (this.dialect === Smb2Dialect.SMB300 || this.dialect === Smb2Dialect.SMB302)) {
      await this.validateNegotiate(this.ipcTreeId);
    }
    return this.ipcTreeId;
  }

  /** MS-SMB2 3.2.4.2.4 / 3.2.5.14.12: secure dialect negotiation check for 3.0 and 3.0.2. */
  private async validateNegotiate(treeId: number): Promise<void> {
    const sent = this.sentNegotiate;
    const input = encodeValidateNegotiateInfoRequest(sent);
    const res = await this.exchange({
      command: Smb2Command.IOCTL,
      treeId,
      body: encodeIoctlRequest({
        ctlCode: FsctlCode.VALIDATE_NEGOTIATE_INFO,
        fileId: Buffer.alloc(16, 0xff),
        input,
        maxInputResponse: 0,
        maxOutputResponse: 24,
        flags: SMB2_0_IOCTL_IS_FSCTL,
      }),
    });
    if (res.header.status !== NtStatus.SUCCESS) {
      throw new WcceError(
        'INTEGRITY',
        `FSCTL_VALIDATE_NEGOTIATE_INFO failed with ${statusName(res.header.status)}: dialect negotiation could not be validated`,
        { status: res.header.status },
      );
    }
    const v = decodeValidateNegotiateInfoResponse(decodeIoctlResponse(res.raw).output);
    const n = this.negotiated;
    if (v.dialect !== n.dialect || !v.guid.equals(n.serverGuid) || v.securityMode !== this.serverSecurityMode || v.capabilities !== this.serverCapabilities) {
      throw new WcceError('INTEGRITY', 'FSCTL_VALIDATE_NEGOTIATE_INFO does not match the NEGOTIATE response (downgrade?)');
    }
  }

  private get sentNegotiate(): {
    capabilities: number;
    guid: Buffer;
    securityMode: number;
    dialects: number[];
  } {
    return negotiateSent.get(this.connection)!;
  }

  private get serverSecurityMode(): number {
    return negotiateReceived.get(this.connection)!.securityMode;
  }

  private get serverCapabilities(): number {
    return negotiateReceived.get(this.connection)!.capabilities;
  }
}

const negotiateSent = new WeakMap<
  SmbConnection,
  {
    capabilities: number;
    guid: Buffer;
    securityMode: number;
    dialects: number[];
  }
>();
const negotiateReceived = new WeakMap<SmbConnection, NegotiateResponse>();

/** Maps an NTSTATUS failure to the stack's error codes. */
export function statusError(status: number, what: string): WcceError {
  const message = `${what}: ${statusName(status)}`;
  if (AUTH_FAILURE_STATUSES.has(status)) return new WcceError('AUTH_FAILED', message, { status });
  if (status === NtStatus.ACCESS_DENIED || status === NtStatus.NETWORK_ACCESS_DENIED) return new WcceError('ACCESS_DENIED', message, { status });
  // Everything else (a stopped CertSvc gives OBJECT_NAME_NOT_FOUND) may well work on another CA.
  return new WcceError('SMB_STATUS', message, { status });
}

async function negotiate(connection: SmbConnection, options: SmbSessionOptions): Promise<{ negotiated: SmbNegotiated; preauthHash: Buffer }> {
  const dialects = [...(options.dialects ?? ALL_DIALECTS)].sort((a, b) => a - b);
  if (dialects.length === 0) throw new WcceError('CONFIG', 'no SMB dialects to offer');
  const offerEncryption = options.encryption !== 'off';
  const capabilities = offerEncryption && dialects.some(isSmb3) ? Smb2Capabilities.ENCRYPTION : 0;
  const clientGuid = randomBytes(16);
  const securityMode = Smb2SecurityMode.SIGNING_ENABLED;
  const body = encodeNegotiateRequest({
    securityMode,
    capabilities,
    clientGuid,
    dialects,
    contexts: {
      preauthIntegrity: {
        hashAlgorithms: [PreauthHashAlgorithm.SHA512],
        salt: randomBytes(32),
      },
      ...(offerEncryption
        ? {
            encryption: {
              ciphers: [Smb2Cipher.AES_128_GCM, Smb2Cipher.AES_128_CCM],
            },
          }
        : {}),
      signing: {
        algorithms: [Smb2SigningAlgorithm.AES_CMAC, Smb2SigningAlgorithm.HMAC_SHA256],
      },
      other: [],
    },
  });
  negotiateSent.set(connection, {
    capabilities,
    guid: clientGuid,
    securityMode,
    dialects,
  });
  const res = await connection.send({
    command: Smb2Command.NEGOTIATE,
    body,
    creditCharge: 1,
  });
  if (res.header.status !== NtStatus.SUCCESS) throw statusError(res.header.status, `NEGOTIATE with ${connection.peer}`);
  const n = decodeNegotiateResponse(res.raw);
  negotiateReceived.set(connection, n);
  const dialect = n.dialectRevision as Smb2Dialect;
  if (!dialects.includes(dialect)) {
    throw new WcceError('PROTOCOL', `server chose dialect ${hex32(n.dialectRevision)} that was not offered`, { details: { offered: dialects } });
  }
  const negotiated: SmbNegotiated = {
    dialect,
    serverGuid: n.serverGuid,
    serverSigningRequired: (n.securityMode & Smb2SecurityMode.SIGNING_REQUIRED) !== 0,
    maxTransactSize: n.maxTransactSize,
    maxReadSize: n.maxReadSize,
    maxWriteSize: n.maxWriteSize,
    signingAlgorithm: dialect === Smb2Dialect.SMB202 || dialect === Smb2Dialect.SMB210 ? Smb2SigningAlgorithm.HMAC_SHA256 : Smb2SigningAlgorithm.AES_CMAC,
  };
  let preauthHash = initialPreauthHash();
  if (dialect === Smb2Dialect.SMB311) {
    // MS-SMB2 3.2.5.2: the response MUST carry exactly one preauth context naming SHA-512.
    const p = n.contexts.preauthIntegrity;
    if (!p || p.hashAlgorithms.length !== 1 || p.hashAlgorithms[0] !== PreauthHashAlgorithm.SHA512) {
      throw new WcceError('PROTOCOL', 'SMB 3.1.1 NEGOTIATE response without a SHA-512 pre-auth integrity context');
    }
    const cipher = n.contexts.encryption?.ciphers[0];
    if (offerEncryption && (cipher === Smb2Cipher.AES_128_GCM || cipher === Smb2Cipher.AES_128_CCM)) negotiated.cipher = cipher;
    const signing = n.contexts.signing?.algorithms[0];
    if (signing === Smb2SigningAlgorithm.HMAC_SHA256 || signing === Smb2SigningAlgorithm.AES_CMAC) negotiated.signingAlgorithm = signing;
    else if (signing !== undefined) throw new WcceError('PROTOCOL', `server chose signing algorithm ${signing}, which was not offered`);
    preauthHash = preauthUpdate(preauthUpdate(preauthHash, res.requestRaw), res.raw);
  } else if (isSmb3(dialect) && offerEncryption && (n.capabilities & Smb2Capabilities.ENCRYPTION) !== 0) {
    negotiated.cipher = Smb2Cipher.AES_128_CCM; // 3.0/3.0.2 have only AES-128-CCM (MS-SMB2 3.2.5.2)
  }
  return { negotiated, preauthHash };
}

async function sessionSetup(
  connection: SmbConnection,
  options: SmbSessionOptions,
  n: SmbNegotiated,
  connectionHash: Buffer,
  serverName: string,
): Promise<{
  sessionId: bigint;
  security: SessionSecurity;
  sessionFlags: number;
}> {
  const ctx: SecurityContext = options.provider.createContext('smb', serverName);
  let sessionId = 0n;
  let hash = connectionHash;
  let input: Buffer | undefined;
  for (let leg = 0; leg < 8; leg++) {
    const step = await ctx.step(input);
    if (!step.output || step.output.length === 0) throw new WcceError('PROTOCOL', 'security context produced no token for SESSION_SETUP');
    const res = await connection.send({
      command: Smb2Command.SESSION_SETUP,
      sessionId,
      body: encodeSessionSetupRequest({
        flags: 0,
        securityMode: Smb2SecurityMode.SIGNING_ENABLED,
        capabilities: 0,
        previousSessionId: 0n,
        securityBuffer: step.output,
      }),
    });
    if (n.dialect === Smb2Dialect.SMB311) hash = preauthUpdate(hash, res.requestRaw);
    const status = res.header.status;
    if (status === NtStatus.MORE_PROCESSING_REQUIRED) {
      sessionId = res.header.sessionId;
      if (n.dialect === Smb2Dialect.SMB311) hash = preauthUpdate(hash, res.raw);
      input = decodeSessionSetupResponse(res.raw).securityBuffer;
      continue;
    }
    if (status !== NtStatus.SUCCESS) throw statusError(status, `SESSION_SETUP with ${serverName}`);
    sessionId = res.header.sessionId;
    const setup = decodeSessionSetupResponse(res.raw);
    // The final SPNEGO leg (accept-completed, maybe a mechListMIC) must still be checked.
    if (!ctx.complete && setup.securityBuffer.length > 0) await ctx.step(setup.securityBuffer);
    if (!ctx.complete) throw new WcceError('AUTH_FAILED', `SESSION_SETUP with ${serverName} succeeded but the security context did not complete`);
    if ((setup.sessionFlags & (Smb2SessionFlags.IS_GUEST | Smb2SessionFlags.IS_NULL)) !== 0) {
      throw new WcceError('AUTH_FAILED', `${serverName} logged the session on as guest/anonymous; refusing an unsigned session`);
    }
    const security = new SessionSecurity({
      role: 'client',
      dialect: n.dialect,
      sessionId,
      gssKey: ctx.sessionKey(),
      ...(n.dialect === Smb2Dialect.SMB311 ? { preauthHash: hash } : {}),
      signingAlgorithm: n.signingAlgorithm,
      ...(n.cipher !== undefined ? { cipher: n.cipher } : {}),
    });
    // MS-SMB2 3.2.5.3.1: 3.1.1 MUST verify the signed final response; earlier dialects when signed.
    const signed = (res.header.flags & Smb2HeaderFlags.SIGNED) !== 0;
    if (signed || n.dialect === Smb2Dialect.SMB311) security.verify(res.raw, 'final SESSION_SETUP response');
    connection.registerSession(security);
    return { sessionId, security, sessionFlags: setup.sessionFlags };
  }
  throw new WcceError('PROTOCOL', `SESSION_SETUP with ${serverName} did not finish in 8 legs`);
}

/** Convenience: `SmbSession.connect`. */
export function connectSmb(options: SmbSessionOptions): Promise<SmbSession> {
  return SmbSession.connect(options);
}
