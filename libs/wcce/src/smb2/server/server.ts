import { randomBytes } from 'node:crypto';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { WcceError } from '../../errors.js';
import type { SecurityContext } from '../../security/provider.js';
import { ALL_DIALECTS, type Smb2Dialect } from '../constants.js';
import { type PipeHandlerFactory, ServerConnection, type SmbServerLogger, filetimeNow } from './connection.js';

/**
 * An SMB2/3 server for named pipes on IPC$ — the transport half of the simulated AD CS.
 * Many concurrent connections; each is an independent ServerConnection state machine, and a
 * connection that sends garbage is logged and dropped without affecting the others.
 */
export interface SmbServerOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port; read it from listen()'s result or `port`). */
  port?: number;
  /** A new acceptor context (SPNEGO-wrapped for SMB) for each SESSION_SETUP. */
  createAcceptor: (info: { remoteAddress: string; remotePort: number }) => SecurityContext;
  /** Pipe names (without `\pipe\`, case-insensitive) and the handler factory for each open. */
  pipes: Record<string, PipeHandlerFactory> | ReadonlyMap<string, PipeHandlerFactory>;
  /** Dialects to accept; default 2.0.2 through 3.1.1. */
  dialects?: readonly Smb2Dialect[];
  /** 'required' (default: a CA behind a DC policy), or 'enabled' (verify only what the client signs). */
  signing?: 'required' | 'enabled';
  /** 'off' (default), 'supported' (negotiate ciphers, encrypt when the client does), 'required' (encrypt every session). */
  encryption?: 'off' | 'supported' | 'required';
  /** How long a READ with no reply ready waits before going async with STATUS_PENDING. Default 100 ms. */
  pendingReadWaitMs?: number;
  /** GSS hint token for the NEGOTIATE response (SPNEGO NegTokenInit2); default empty. */
  negotiateToken?: Buffer;
  serverGuid?: Buffer;
  maxConnections?: number;
  logger?: SmbServerLogger;
}

export class SmbServer {
  private readonly server: Server;
  private readonly connections = new Set<ServerConnection>();
  private readonly options: SmbServerOptions;
  private listening?: AddressInfo;

  constructor(options: SmbServerOptions) {
    this.options = options;
    const pipes = new Map<string, PipeHandlerFactory>();
    const entries = options.pipes instanceof Map ? [...options.pipes.entries()] : Object.entries(options.pipes as Record<string, PipeHandlerFactory>);
    for (const [name, factory] of entries) pipes.set(name.replace(/^\\?(pipe\\)?/i, '').toLowerCase(), factory);
    const dialects = options.dialects ?? ALL_DIALECTS;
    if (dialects.length === 0) throw new WcceError('CONFIG', 'SmbServer needs at least one dialect');
    const config = {
      serverGuid: options.serverGuid ?? randomBytes(16),
      dialects,
      signingRequired: (options.signing ?? 'required') === 'required',
      encryption: options.encryption ?? 'off',
      createAcceptor: options.createAcceptor,
      pipes,
      negotiateToken: options.negotiateToken ?? Buffer.alloc(0),
      pendingReadWaitMs: options.pendingReadWaitMs ?? 100,
      pollMs: 20,
      logger: options.logger ?? {},
      startTime: filetimeNow(),
    };
    this.server = createServer((socket: Socket) => {
      if (options.maxConnections !== undefined && this.connections.size >= options.maxConnections) {
        config.logger.warn?.({ remote: socket.remoteAddress }, 'SMB connection refused: too many connections');
        socket.destroy();
        return;
      }
      const connection = new ServerConnection(socket, config, (c) => this.connections.delete(c));
      this.connections.add(connection);
    });
    this.server.on('error', (err) => config.logger.error?.({ err: err.message }, 'SMB server error'));
  }

  /** Starts listening; resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new WcceError('TRANSPORT', `SMB server cannot listen: ${err.message}`, { cause: err }));
      this.server.once('error', onError);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', onError);
        this.listening = this.server.address() as AddressInfo;
        resolve(this.listening);
      });
    });
  }

  get port(): number {
    if (!this.listening) throw new WcceError('CONFIG', 'SmbServer is not listening');
    return this.listening.port;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, drops every connection (closing their pipe handlers), resolves when closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const c of [...this.connections]) c.destroy();
    });
  }
}
