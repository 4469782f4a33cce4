import type { SyntaxId } from '../dcerpc/syntax.js';
import { RpcClient } from '../dcerpc/client.js';
import { RpcAuthLevel, type SecurityProvider } from '../security/provider.js';
import type { Smb2Dialect } from '../smb2/constants.js';
import { SmbSession } from '../smb2/client/session.js';
import type { SmbPipe } from '../smb2/client/pipe.js';

/** Where a named-pipe RPC endpoint lives (`ncacn_np:HOST[\pipe\NAME]`). */
export interface PipeTarget {
  /** Address to connect to (IP or DNS name). */
  host: string;
  /** SMB port; default 445. */
  port?: number;
  /** Server name for SPNs, NTLM target names and `\\server\IPC$`; defaults to host. */
  serverName?: string;
}

export interface RpcConnectionOptions {
  provider: SecurityProvider;
  /** acme2certifier `timeout`: TCP connect, in ms. */
  connectTimeoutMs?: number;
  /** acme2certifier `timeout`: each SMB exchange, in ms. */
  timeoutMs?: number;
  dialects?: readonly Smb2Dialect[];
  encryption?: 'auto' | 'required' | 'off';
  /** Default PKT_PRIVACY, as AD CS enforces (IF_ENFORCEENCRYPTICERTREQUEST). */
  authLevel?: RpcAuthLevel;
  /** Offered max_xmit_frag / max_recv_frag (default 4280). */
  maxFrag?: number;
}

/**
 * One authenticated SMB2 session, one pipe, one DCE/RPC association bound to one interface:
 * the unit a pool reuses across calls (MS-ICPR 3.2.3: clients MAY reuse one association).
 */
export class RpcPipeConnection {
  private closing: Promise<void> | undefined;

  private constructor(
    readonly session: SmbSession,
    readonly pipe: SmbPipe,
    readonly rpc: RpcClient,
  ) {}

  static async open(target: PipeTarget, pipeName: string, syntax: SyntaxId, options: RpcConnectionOptions): Promise<RpcPipeConnection> {
    const serverName = target.serverName ?? target.host;
    const session = await SmbSession.connect({
      host: target.host,
      port: target.port,
      serverName,
      provider: options.provider,
      dialects: options.dialects,
      connectTimeoutMs: options.connectTimeoutMs,
      timeoutMs: options.timeoutMs,
      encryption: options.encryption,
    });
    try {
      const pipe = await session.openPipe(pipeName);
      const rpc = new RpcClient(pipe);
      const authLevel = options.authLevel ?? RpcAuthLevel.PKT_PRIVACY;
      await rpc.bind({
        syntax,
        maxXmitFrag: options.maxFrag,
        maxRecvFrag: options.maxFrag,
        security: {
          context: options.provider.createContext('rpc', serverName, { authLevel }),
          authType: options.provider.rpcAuthType,
          authLevel,
        },
      });
      return new RpcPipeConnection(session, pipe, rpc);
    } catch (e) {
      await session.close().catch(() => undefined);
      throw e;
    }
  }

  /** Safe to hand to another call: not closed, the SMB connection still up, the binding not poisoned. */
  get usable(): boolean {
    return this.closing === undefined && this.session.isOpen && this.rpc.usable;
  }

  /** Close pipe, tree and session, then the socket. Never throws. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.rpc.close().catch(() => undefined);
      await this.session.close().catch(() => undefined);
    })();
    return this.closing;
  }
}
