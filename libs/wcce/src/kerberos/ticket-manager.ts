import { WcceError } from '../errors.js';
import { findCredential, readCcache } from './files/ccache.js';
import { readKeytab } from './files/keytab.js';
import { KdcClient, type ClientKeySource, type KdcClientOptions, type KerberosTicket } from './kdc-client.js';
import { NameType } from './messages/constants.js';
import { parsePrincipal, principalToString, type Principal } from './messages/principal.js';
import { decodeTicket } from './messages/ticket.js';

/** acme2certifier-style Kerberos credentials: a password, a keytab (`krb5_keytab`) or a ccache (`krb5_cache`). */
export interface KerberosCredentials {
  kind: 'kerberos';
  /** `user`, `user@REALM` or a full principal (`krb5_principal`). */
  principal: string;
  /** Realm when the principal has none (upper-cased `target_domain`). */
  realm?: string;
  password?: string;
  keytabPath?: string;
  ccachePath?: string;
}

export interface TicketManagerOptions extends KdcClientOptions {
  /** Renew or re-acquire a ticket this long before it expires (default 300 s). */
  renewBeforeSeconds?: number;
}

/**
 * Tickets for one set of credentials, cached in process and renewed before expiry: a TGT from a
 * password, a keytab or a ccache, and service tickets (`cifs/<host>`, `host/<host>`) obtained with it.
 * Concurrent callers share one in-flight exchange.
 */
export class KerberosTicketManager {
  readonly client: Principal;
  private readonly kdc: KdcClient;
  private readonly now: () => Date;
  private readonly renewBeforeMs: number;
  private tgtPromise?: Promise<KerberosTicket>;
  private tgtTicket?: KerberosTicket;
  private readonly services = new Map<string, Promise<KerberosTicket>>();
  private readonly issued = new Map<string, KerberosTicket>();

  constructor(
    private readonly credentials: KerberosCredentials,
    options: TicketManagerOptions,
  ) {
    this.client = parsePrincipal(credentials.principal, credentials.realm?.toUpperCase(), NameType.PRINCIPAL);
    if (credentials.password === undefined && !credentials.keytabPath && !credentials.ccachePath) {
      throw new WcceError('CONFIG', 'Kerberos credentials need a password, a keytab or a ccache');
    }
    this.kdc = new KdcClient(options);
    this.now = options.now ?? (() => new Date());
    this.renewBeforeMs = (options.renewBeforeSeconds ?? 300) * 1000;
  }

  get realm(): string {
    return this.client.realm;
  }

  /** A valid TGT, acquired or renewed as needed. */
  async tgt(): Promise<KerberosTicket> {
    if (this.tgtTicket && this.fresh(this.tgtTicket)) return this.tgtTicket;
    if (!this.tgtPromise) {
      this.tgtPromise = this.acquireTgt().then(
        (t) => {
          this.tgtTicket = t;
          this.tgtPromise = undefined;
          return t;
        },
        (e: unknown) => {
          this.tgtPromise = undefined;
          throw e;
        },
      );
    }
    return this.tgtPromise;
  }

  /** A service ticket for `spn` (`cifs/host` or `cifs/host@REALM`). */
  async serviceTicket(spn: string): Promise<KerberosTicket> {
    const server = parsePrincipal(spn, this.realm, NameType.SRV_INST);
    const id = principalToString(server).toLowerCase();
    const cached = this.issued.get(id);
    if (cached && this.fresh(cached)) return cached;
    let p = this.services.get(id);
    if (!p) {
      p = this.acquireService(server).then(
        (t) => {
          this.issued.set(id, t);
          this.services.delete(id);
          return t;
        },
        (e: unknown) => {
          this.services.delete(id);
          throw e;
        },
      );
      this.services.set(id, p);
    }
    return p;
  }

  /** Ticket expiries, for the `enrollgate_kerberos_ticket_expiry_seconds` metric. */
  expiries(): { server: string; endtime: Date }[] {
    const out = [...this.issued.values()].map((t) => ({ server: principalToString(t.server), endtime: t.endtime }));
    if (this.tgtTicket) out.unshift({ server: principalToString(this.tgtTicket.server), endtime: this.tgtTicket.endtime });
    return out;
  }

  private fresh(t: KerberosTicket): boolean {
    return t.endtime.getTime() - this.now().getTime() > this.renewBeforeMs;
  }

  private async acquireService(server: Principal): Promise<KerberosTicket> {
    if (this.credentials.ccachePath && this.credentials.password === undefined && !this.credentials.keytabPath) {
      // A ccache may already hold the service ticket (kinit + kvno, as impacket users do).
      const cc = await readCcache(this.credentials.ccachePath);
      const cred = findCredential(cc, server, new Date(this.now().getTime() + this.renewBeforeMs));
      if (cred) return this.fromCcache(cred);
    }
    return this.kdc.tgsExchange(await this.tgt(), server);
  }

  private async acquireTgt(): Promise<KerberosTicket> {
    const old = this.tgtTicket;
    const now = this.now();
    // A renewable TGT still inside its renew-till is renewed (RFC 4120 3.3.1) rather than re-acquired:
    // the only way to keep a ccache-sourced identity alive, and one round trip cheaper.
    if (old && old.renewTill && old.renewTill.getTime() > now.getTime() + this.renewBeforeMs && old.endtime.getTime() > now.getTime()) {
      try {
        return await this.kdc.tgsExchange(old, old.server, true);
      } catch {
        // fall through to a fresh acquisition
      }
    }
    if (this.credentials.password !== undefined) {
      return this.kdc.asExchange(this.client, { kind: 'password', password: this.credentials.password });
    }
    if (this.credentials.keytabPath) {
      const source: ClientKeySource = { kind: 'keytab', entries: await readKeytab(this.credentials.keytabPath) };
      return this.kdc.asExchange(this.client, source);
    }
    const cc = await readCcache(this.credentials.ccachePath!);
    const krbtgt = { name: { nameType: NameType.SRV_INST, nameString: ['krbtgt', this.realm] }, realm: this.realm };
    const cred = findCredential(cc, krbtgt, now);
    if (!cred) throw new WcceError('AUTH_FAILED', `Kerberos ccache ${this.credentials.ccachePath} holds no valid TGT for ${this.realm}`);
    return this.fromCcache(cred);
  }

  private fromCcache(cred: Awaited<ReturnType<typeof readCcache>>['credentials'][number]): KerberosTicket {
    return {
      client: cred.client,
      server: cred.server,
      ticket: decodeTicket(cred.ticket),
      sessionKey: cred.key,
      flags: cred.ticketFlags,
      authtime: cred.authtime,
      starttime: cred.starttime,
      endtime: cred.endtime,
      ...(cred.renewTill ? { renewTill: cred.renewTill } : {}),
    };
  }
}
