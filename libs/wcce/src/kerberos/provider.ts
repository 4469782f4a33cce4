import { createHmac, randomBytes } from 'node:crypto';
import { WcceError } from '../errors.js';
import { RpcAuthLevel, RpcAuthType, type SecurityContext, type SecurityContextOptions, type SecurityProvider } from '../security/provider.js';
import { MechOid } from '../spnego/oids.js';
import { SpnegoContext } from '../spnego/context.js';
import { KerberosInitiatorContext, type KerberosInitiatorOptions } from './context.js';
import type { WrapPadding } from './gss/wrap.js';
import { KerberosTicketManager, type KerberosCredentials, type TicketManagerOptions } from './ticket-manager.js';

export interface KerberosProviderOptions extends TicketManagerOptions {
  /** Mutual authentication for SMB sessions (default false, like impacket). */
  smbMutual?: boolean;
  padding?: WrapPadding;
  /** Use one `host/<target>` ticket for SMB too, as Certipy does (default: `cifs/<target>`). */
  hostTicketForSmb?: boolean;
}

const CACHE_KEY_SALT = randomBytes(32);

/** One ticket manager per credential set and KDC list, per process: tickets are shared by all pools. */
const managers = new Map<string, KerberosTicketManager>();

/**
 * Kerberos credentials as a SecurityProvider: SPNEGO (MS KRB5 OID first, as Windows sends) around a
 * Kerberos context for SMB2 SESSION_SETUP with `cifs/<target>`, and SPNEGO auth type 9 with a
 * DCE-style Kerberos context for RPC binds with `host/<target>` (wcce-protocol.md 4.2, 4.3).
 */
export class KerberosProvider implements SecurityProvider {
  readonly mechanism = 'kerberos' as const;
  readonly rpcAuthType = RpcAuthType.GSS_NEGOTIATE;
  readonly cacheKey: string;
  readonly tickets: KerberosTicketManager;

  constructor(
    credentials: KerberosCredentials,
    private readonly options: KerberosProviderOptions,
  ) {
    if (credentials.kind !== 'kerberos') throw new WcceError('CONFIG', 'KerberosProvider needs Kerberos credentials');
    const secret = credentials.password ?? `${credentials.keytabPath ?? ''}|${credentials.ccachePath ?? ''}`;
    const fingerprint = createHmac('sha256', CACHE_KEY_SALT).update(secret).digest('hex').slice(0, 16);
    const kdcs = options.kdcs.map((k) => `${k.host}:${k.port ?? 88}`).join(',');
    this.cacheKey = `kerberos:${credentials.principal.toLowerCase()}@${(credentials.realm ?? '').toLowerCase()}:${fingerprint}:${kdcs}`;
    let m = managers.get(this.cacheKey);
    if (!m) {
      m = new KerberosTicketManager(credentials, options);
      managers.set(this.cacheKey, m);
    }
    this.tickets = m;
  }

  createContext(purpose: 'smb' | 'rpc', target: string, options: SecurityContextOptions = {}): SecurityContext {
    const service = purpose === 'smb' && !this.options.hostTicketForSmb ? 'cifs' : 'host';
    const spn = `${service}/${target}`;
    const common: Omit<KerberosInitiatorOptions, 'style'> = {
      ticket: () => this.tickets.serviceTicket(spn),
      ...(this.options.padding ? { padding: this.options.padding } : {}),
      ...(this.options.now ? { now: this.options.now } : {}),
    };
    const inner =
      purpose === 'smb'
        ? new KerberosInitiatorContext({ ...common, style: 'smb', mutual: this.options.smbMutual ?? false })
        : new KerberosInitiatorContext({
            ...common,
            style: 'dce',
            confidentiality: options.authLevel === undefined || options.authLevel === RpcAuthLevel.PKT_PRIVACY,
          });
    return new SpnegoContext({ role: 'initiator', inner, mech: MechOid.MS_KRB5, mechTypes: [MechOid.MS_KRB5, MechOid.KRB5] });
  }

  /** Never prints a secret. */
  toJSON(): Record<string, string> {
    return { mechanism: this.mechanism, cacheKey: this.cacheKey };
  }
}

/** Tests only: forget the per-process ticket managers. */
export function resetKerberosTicketManagers(): void {
  managers.clear();
}
