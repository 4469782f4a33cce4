/**
 * The simulated CA's network face: SMB2/3 on `--listen`, NTLM (in SPNEGO) against the account
 * store, `IPC$`, and the `cert` pipe, where each open gets its own DCE/RPC association
 * (RpcServerConnection) with ICertPassage registered, as `\PIPE\cert` on a Windows CA.
 *
 * RPC security: auth type 10 (raw NTLMSSP, what impacket, Certipy and acme2certifier use) and 9
 * (SPNEGO around NTLM, what Windows clients use). With a keytab (`--keytab`) also Kerberos: SPNEGO
 * picks Kerberos when the initiator offers it first (SMB SESSION_SETUP and auth type 9, DCE style),
 * and auth type 16 (raw Kerberos) binds; tickets must come from the KDC that issued the keytab. Minimum level PKT_PRIVACY; a call below it is
 * answered by the ICPR layer with E_ACCESSDENIED in the return value rather than an RPC fault,
 * because that is what MS-ICPR 3.2.4.1.1 prescribes for IF_ENFORCEENCRYPTICERTREQUEST.
 */
import type { AddressInfo } from 'node:net';
import {
  KerberosAcceptorContext,
  MechOid,
  NtlmAcceptorContext,
  WcceError,
  decodeNegotiationToken,
  type KeytabEntry,
  type RpcPduParts,
  type SecurityStep,
  RpcAuthLevel,
  RpcAuthType,
  RpcInterfaceRegistry,
  RpcServerConnection,
  SmbServer,
  SpnegoContext,
  type PipeOpenInfo,
  type RpcPipeHandler,
  type SecurityContext,
} from '@enrollgate/wcce';
import type { Logger } from '@enrollgate/platform';
import type { AccountStore } from './accounts.js';
import type { IcprService } from './icpr-service.js';

export interface SmbEndpointOptions {
  host: string;
  port: number;
  /** NetBIOS domain name (`--domain`). */
  domain: string;
  accounts: AccountStore;
  icpr: IcprService;
  /** Offer SMB 3.x encryption (`--encrypt`); off by default so captures stay decodable. */
  encrypt: boolean;
  /** Kerberos service keys (from `--keytab`, filtered by `--kerberos-service`); none = NTLM only. */
  kerberosKeys?: KeytabEntry[];
  logger: Logger;
}

/** NetBIOS computer name the simulated CA host announces in NTLM CHALLENGE messages. */
export const SIM_COMPUTER_NAME = 'ADCS-SIM';

/** One `cert` pipe open: its RPC association, and an abort signal for calls held by faults. */
class CertPipe implements RpcPipeHandler {
  private readonly aborter = new AbortController();
  private readonly rpc: RpcServerConnection;

  constructor(info: PipeOpenInfo, options: SmbEndpointOptions, acceptor: (authType: number) => SecurityContext | undefined) {
    const registry = new RpcInterfaceRegistry().register(
      options.icpr.registration({
        ...(info.peerName !== undefined ? { smbPeer: info.peerName } : {}),
        remoteAddress: info.remoteAddress,
        signal: this.aborter.signal,
        disconnect: () => info.disconnect(),
      }),
    );
    this.rpc = new RpcServerConnection({
      registry,
      acceptor,
      minAuthLevel: RpcAuthLevel.PKT_PRIVACY,
      belowMinimumLevel: 'handler',
      secondaryAddress: '\\PIPE\\cert',
      onError: (e) => {
        if (!this.aborter.signal.aborted)
          options.logger.debug({ err: (e as Error).message, remote: info.remoteAddress }, 'RPC call ended with a fault or refusal');
      },
    });
  }

  onWrite(pdu: Buffer): Promise<void> {
    return this.rpc.onWrite(pdu);
  }

  takeReply(): Promise<Buffer | undefined> {
    return this.rpc.takeReply();
  }

  transceive(pdu: Buffer): Promise<Buffer> {
    return this.rpc.transceive(pdu);
  }

  close(): void {
    this.aborter.abort();
    this.rpc.close();
  }
}

/**
 * SPNEGO acceptor over several mechanisms (MS-SPNG 3.2.5.2): the first mechanism in the initiator's
 * mechTypes that we support is chosen (Kerberos when a keytab is loaded and the client offers it,
 * else NTLM), then SpnegoContext runs the exchange with that mechanism.
 */
class NegotiatingAcceptor implements SecurityContext {
  readonly mechanism = 'spnego' as const;
  readonly role = 'acceptor' as const;
  private chosen?: SpnegoContext;

  constructor(private readonly mechs: ReadonlyMap<string, () => SecurityContext>) {}

  get complete(): boolean {
    return this.chosen?.complete ?? false;
  }

  get peerName(): string | undefined {
    return this.chosen?.peerName;
  }

  async step(input?: Buffer): Promise<SecurityStep> {
    if (!this.chosen) {
      if (!input) throw new WcceError('PROTOCOL', 'SPNEGO acceptor needs an input token');
      const token = decodeNegotiationToken(input);
      if (token.kind !== 'init') throw new WcceError('PROTOCOL', 'SPNEGO acceptor expected a NegTokenInit');
      const mech = token.token.mechTypes.find((m) => this.mechs.has(m));
      if (mech === undefined) throw new WcceError('UNSUPPORTED', `SPNEGO initiator offers none of our mechanisms (${token.token.mechTypes.join(', ')})`);
      this.chosen = new SpnegoContext({ role: 'acceptor', mech, inner: this.mechs.get(mech)!() });
    }
    return this.chosen.step(input);
  }

  private get context(): SpnegoContext {
    if (!this.chosen) throw new WcceError('PROTOCOL', 'SPNEGO context is not established');
    return this.chosen;
  }

  sessionKey(): Buffer {
    return this.context.sessionKey();
  }

  verifierLength(level: RpcAuthLevel, stubLength: number): number {
    return this.context.verifierLength(level, stubLength);
  }

  wrap(level: RpcAuthLevel, pdu: RpcPduParts): { stub: Buffer; verifier: Buffer } {
    return this.context.wrap(level, pdu);
  }

  unwrap(level: RpcAuthLevel, pdu: RpcPduParts, verifier: Buffer): Buffer {
    return this.context.unwrap(level, pdu, verifier);
  }
}

export class SmbEndpoint {
  private readonly server: SmbServer;
  private address?: AddressInfo;

  constructor(options: SmbEndpointOptions) {
    const ntlm = (): NtlmAcceptorContext =>
      new NtlmAcceptorContext({
        lookupUser: options.accounts.lookup,
        netbiosDomain: options.domain.toUpperCase(),
        netbiosComputer: SIM_COMPUTER_NAME,
        dnsDomain: `${options.domain.toLowerCase()}.local`,
        dnsComputer: `${SIM_COMPUTER_NAME.toLowerCase()}.${options.domain.toLowerCase()}.local`,
        dnsTree: `${options.domain.toLowerCase()}.local`,
      });
    const keys = options.kerberosKeys ?? [];
    const kerberos = keys.length > 0 ? (): KerberosAcceptorContext => new KerberosAcceptorContext({ keytab: keys }) : undefined;
    const mechs = new Map<string, () => SecurityContext>([[MechOid.NTLMSSP, ntlm]]);
    if (kerberos) {
      mechs.set(MechOid.MS_KRB5, kerberos);
      mechs.set(MechOid.KRB5, kerberos);
    }
    const spnego = (): SecurityContext => new NegotiatingAcceptor(mechs);
    const rpcAcceptor = (authType: number): SecurityContext | undefined =>
      authType === RpcAuthType.WINNT
        ? ntlm()
        : authType === RpcAuthType.GSS_NEGOTIATE
          ? spnego()
          : authType === RpcAuthType.GSS_KERBEROS && kerberos
            ? kerberos()
            : undefined;
    const log = options.logger.child({ component: 'smb' });
    this.server = new SmbServer({
      host: options.host,
      port: options.port,
      createAcceptor: spnego,
      pipes: { cert: (info) => new CertPipe(info, options, rpcAcceptor) },
      encryption: options.encrypt ? 'supported' : 'off',
      logger: {
        debug: (fields, message) => log.debug(fields, message),
        // Session set-ups and refusals are per connection: debug, not info, under load.
        info: (fields, message) => log.debug(fields, message),
        warn: (fields, message) => log.warn(fields, message),
        error: (fields, message) => log.error(fields, message),
      },
    });
  }

  async listen(): Promise<AddressInfo> {
    this.address = await this.server.listen();
    return this.address;
  }

  get listening(): boolean {
    return this.address !== undefined;
  }

  get connections(): number {
    return this.server.connectionCount;
  }

  /** Stops accepting and drops every connection (held calls are released). */
  async close(): Promise<void> {
    if (!this.address) return;
    this.address = undefined;
    await this.server.close();
  }
}
