import { connect as netConnect, type Socket } from 'node:net';
import { WcceError, isWcceError } from '../../errors.js';
import { Smb2Command, Smb2Dialect, Smb2HeaderFlags, commandName } from '../constants.js';
import { FrameDecoder, frame } from '../framing.js';
import { type Smb2Header, buildMessage, decodeHeader, isAsync, makeHeader, splitCompound } from '../header.js';
import type { SessionSecurity } from '../security.js';
import { NtStatus, statusName } from '../status.js';
import { isTransformMessage, decodeTransformHeader } from '../transform.js';

/**
 * Client side of one SMB2 TCP connection (MS-SMB2 3.2.4.1 sending, 3.2.5.1 receiving):
 * direct-TCP framing, MessageId and credit accounting, interim STATUS_PENDING responses,
 * per-exchange and connect timeouts, signing/encryption of outgoing and checking of incoming
 * messages for the sessions registered on it. It knows nothing about what the commands mean.
 */
export interface SmbConnectionOptions {
  host: string;
  port: number;
  /** Deadline for the TCP connect (WcceError TIMEOUT). */
  connectTimeoutMs: number;
  /** Deadline for each request/response exchange, restarted by an interim response. */
  timeoutMs: number;
  /** Refuse frames larger than this (bytes). */
  maxFrame?: number;
}

export interface Smb2Request {
  command: number;
  body: Buffer;
  sessionId?: bigint;
  treeId?: number;
  /** Extra header flags (DFS...). SIGNED is set by the connection when it signs. */
  flags?: number;
  /** Credits this request consumes (payload/64 KiB, at least 1). */
  creditCharge?: number;
  /** Sign with this session's keys (ignored when encrypting). */
  sign?: SessionSecurity;
  /** Encrypt with this session's keys (MS-SMB2 3.2.4.1.8). */
  encrypt?: SessionSecurity;
  /** Verify the response's signature with these keys; an unsigned final response is an INTEGRITY error. */
  verify?: SessionSecurity;
  timeoutMs?: number;
}

export interface Smb2Response {
  header: Smb2Header;
  /** The response message in clear (decrypted if it came encrypted). */
  raw: Buffer;
  /** The request as sent in clear (3.1.1 pre-auth hashing needs it). */
  requestRaw: Buffer;
  encrypted: boolean;
}

interface Pending {
  command: number;
  requestRaw: Buffer;
  encrypted: boolean;
  verify?: SessionSecurity;
  timeoutMs: number;
  timer: NodeJS.Timeout;
  resolve(r: Smb2Response): void;
  reject(e: Error): void;
}

/** MS-SMB2 3.2.5.1.2: an unsolicited OPLOCK_BREAK notification uses this MessageId. */
const UNSOLICITED_MESSAGE_ID = 0xffffffffffffffffn;
/** Credits asked for on every request; servers cap the grant (Samba 8192, Windows 512). */
const CREDIT_REQUEST = 64;

export class SmbConnection {
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<bigint, Pending>();
  private readonly creditWaiters: (() => void)[] = [];
  private nextMessageId = 0n;
  private credits = 1;
  private closedError?: WcceError;
  /** Set after NEGOTIATE: 2.0.2 sends CreditCharge 0 (MS-SMB2 2.2.1). */
  dialect = 0;
  private readonly sessions = new Map<bigint, SessionSecurity>();

  private constructor(
    private readonly socket: Socket,
    private readonly options: SmbConnectionOptions,
  ) {
    this.decoder = new FrameDecoder(options.maxFrame);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new WcceError('TRANSPORT', `SMB connection to ${this.peer}: ${err.message}`, { cause: err })));
    socket.on('close', () => this.fail(new WcceError('TRANSPORT', `SMB connection to ${this.peer} closed`)));
  }

  static connect(options: SmbConnectionOptions): Promise<SmbConnection> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: options.host, port: options.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new WcceError('TIMEOUT', `SMB connect to ${options.host}:${options.port} timed out after ${options.connectTimeoutMs} ms`));
      }, options.connectTimeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(new WcceError('TRANSPORT', `SMB connect to ${options.host}:${options.port}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.setNoDelay(true);
        resolve(new SmbConnection(socket, options));
      });
    });
  }

  get peer(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  get isClosed(): boolean {
    return this.closedError !== undefined;
  }

  /** Lets the connection decrypt messages addressed to this session (MS-SMB2 3.2.5.1.1). */
  registerSession(security: SessionSecurity): void {
    this.sessions.set(security.sessionId, security);
  }

  unregisterSession(sessionId: bigint): void {
    this.sessions.delete(sessionId);
  }

  /** Sends one request and resolves with its final response (any status: callers interpret it). */
  async send(req: Smb2Request): Promise<Smb2Response> {
    if (this.closedError) throw this.closedError;
    const charge = Math.max(1, req.creditCharge ?? 1);
    await this.takeCredits(charge);
    if (this.closedError) throw this.closedError;
    const messageId = this.nextMessageId;
    this.nextMessageId += BigInt(charge);
    const header = makeHeader({
      command: req.command,
      creditCharge: this.dialect === Smb2Dialect.SMB202 ? 0 : charge,
      credits: CREDIT_REQUEST,
      flags: req.flags ?? 0,
      messageId,
      treeId: req.treeId ?? 0,
      sessionId: req.sessionId ?? 0n,
    });
    const requestRaw = buildMessage(header, req.body);
    let wire: Buffer;
    if (req.encrypt) wire = req.encrypt.encrypt(requestRaw);
    else {
      if (req.sign) req.sign.sign(requestRaw);
      wire = requestRaw;
    }
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs;
    return new Promise<Smb2Response>((resolve, reject) => {
      const p: Pending = {
        command: req.command,
        requestRaw,
        encrypted: req.encrypt !== undefined,
        timeoutMs,
        timer: this.startTimer(messageId, req.command, timeoutMs),
        resolve,
        reject,
      };
      if (req.verify) p.verify = req.verify;
      this.pending.set(messageId, p);
      this.socket.write(frame(wire));
    });
  }

  /** Closes the socket; every exchange still waiting fails with TRANSPORT. */
  async close(): Promise<void> {
    if (this.socket.destroyed) {
      this.fail(new WcceError('TRANSPORT', `SMB connection to ${this.peer} closed`));
      return;
    }
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      // A peer that never finishes its half of the close must not hold us up.
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }

  private startTimer(messageId: bigint, command: number, timeoutMs: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      // A lost response leaves the message window in doubt: drop the connection (MS-SMB2 3.2.6.1).
      this.fail(new WcceError('TIMEOUT', `SMB2 ${commandName(command)} (message ${messageId}) to ${this.peer}: no response within ${timeoutMs} ms`));
      this.socket.destroy();
    }, timeoutMs);
    t.unref();
    return t;
  }

  private takeCredits(n: number): Promise<void> {
    if (this.credits >= n) {
      this.credits -= n;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const tryTake = (): void => {
        if (this.closedError) return resolve();
        if (this.credits >= n) {
          this.credits -= n;
          resolve();
        } else this.creditWaiters.push(tryTake);
      };
      this.creditWaiters.push(tryTake);
    });
  }

  private grantCredits(n: number): void {
    this.credits += n;
    const waiters = this.creditWaiters.splice(0);
    for (const w of waiters) w();
  }

  private onData(chunk: Buffer): void {
    try {
      for (const message of this.decoder.push(chunk)) this.onMessage(message);
    } catch (e) {
      const err = isWcceError(e) ? e : new WcceError('PROTOCOL', `SMB2 from ${this.peer}: ${(e as Error).message}`, { cause: e });
      this.fail(err);
      this.socket.destroy();
    }
  }

  private onMessage(wire: Buffer): void {
    let clear = wire;
    let encrypted = false;
    if (isTransformMessage(wire)) {
      const sessionId = decodeTransformHeader(wire).sessionId;
      const security = this.sessions.get(sessionId);
      if (!security) throw new WcceError('PROTOCOL', `encrypted SMB2 message for unknown session 0x${sessionId.toString(16)}`);
      clear = security.decrypt(wire);
      encrypted = true;
    }
    for (const raw of splitCompound(clear)) this.onResponse(raw, encrypted);
  }

  private onResponse(raw: Buffer, encrypted: boolean): void {
    const header = decodeHeader(raw);
    if ((header.flags & Smb2HeaderFlags.SERVER_TO_REDIR) === 0)
      throw new WcceError('PROTOCOL', `SMB2 ${commandName(header.command)} from ${this.peer} is not a response`);
    if (header.messageId === UNSOLICITED_MESSAGE_ID && header.command === Smb2Command.OPLOCK_BREAK) return;
    const p = this.pending.get(header.messageId);
    if (!p) throw new WcceError('PROTOCOL', `SMB2 response for unknown message ${header.messageId} from ${this.peer}`);
    if (header.command !== p.command)
      throw new WcceError('PROTOCOL', `SMB2 response to message ${header.messageId} is ${commandName(header.command)}, expected ${commandName(p.command)}`);
    this.grantCredits(header.credits);
    // MS-SMB2 3.2.5.1.5: an interim response announces an async operation; wait for the final one.
    if (header.status === NtStatus.PENDING && isAsync(header)) {
      clearTimeout(p.timer);
      p.timer = this.startTimer(header.messageId, p.command, p.timeoutMs);
      return;
    }
    this.pending.delete(header.messageId);
    clearTimeout(p.timer);
    try {
      if (p.encrypted && !encrypted) throw new WcceError('INTEGRITY', `SMB2 ${commandName(p.command)} response was not encrypted on an encrypted session`);
      if (p.verify && !encrypted) p.verify.verify(raw, `SMB2 ${commandName(p.command)} response (${statusName(header.status)})`);
      p.resolve({ header, raw, requestRaw: p.requestRaw, encrypted });
    } catch (e) {
      p.reject(e as Error);
    }
  }

  private fail(err: WcceError): void {
    if (!this.closedError) this.closedError = err;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    const waiters = this.creditWaiters.splice(0);
    for (const w of waiters) w();
  }
}
