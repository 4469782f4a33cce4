import { randomBytes } from 'node:crypto';
import { WcceError, isWcceError } from '../errors.js';
import { DerTag, parseOne } from './asn1/der.js';
import { KeyUsage, encryptionProfile, supportedEtypes, type KerberosKey } from './crypto/index.js';
import { krbErrorToWcce } from './errors.js';
import type { KeytabEntry } from './files/keytab.js';
import { encodeAuthenticator } from './messages/authenticator.js';
import { encodeApReq } from './messages/ap-req.js';
import { KdcOptions, MessageType, NameType, PaDataType, TicketFlags } from './messages/constants.js';
import { decodeEncryptedData, encodeEncryptedData, openData, sealData } from './messages/encrypted-data.js';
import { decodeEncKdcRepPart, decodeKdcRep, type EncKdcRepPart, type KdcRep } from './messages/kdc-rep.js';
import { encodeKdcReq, encodeKdcReqBody, type KdcReqBody } from './messages/kdc-req.js';
import { KrbErrorCode, decodeKrbError, isKrbError, type KrbError } from './messages/krb-error.js';
import { decodeEtypeInfo2, decodeMethodData, encodePaEncTsEnc, paPacRequest, type EtypeInfo2Entry, type PaData } from './messages/padata.js';
import { principalToString, samePrincipal, type Principal } from './messages/principal.js';
import type { Ticket } from './messages/ticket.js';
import { kdcExchange, type KdcAddress } from './transport.js';

/** A ticket with its session key: a TGT or a service ticket. */
export interface KerberosTicket {
  client: Principal;
  server: Principal;
  ticket: Ticket;
  sessionKey: KerberosKey;
  flags: number;
  authtime: Date;
  starttime: Date;
  endtime: Date;
  renewTill?: Date;
}

/** Where the client's long-term key comes from in an AS exchange. */
export type ClientKeySource = { kind: 'password'; password: string } | { kind: 'keytab'; entries: KeytabEntry[] };

export interface KdcClientOptions {
  /** KDCs to try in order (`domain_controller`); port defaults to 88. */
  kdcs: KdcAddress[];
  /** Per-exchange deadline (default 10 s). */
  timeoutMs?: number;
  /** Allow RC4-HMAC (etype 23); off by default. */
  allowRc4?: boolean;
  /** Ask for a PAC (MS-KILE 2.2.3; default true, Windows and Samba services need it). */
  requestPac?: boolean;
  /** Ticket lifetime requested (default 10 h) and renewable lifetime (default 7 days). */
  lifetimeSeconds?: number;
  renewableSeconds?: number;
  now?: () => Date;
  random?: (n: number) => Buffer;
}

/** RFC 4120 3.1.3 / 3.3.3: the KDC may send AS-REP or KRB-ERROR; anything else is a protocol error. */
type KdcReply = { kind: 'rep'; rep: KdcRep } | { kind: 'error'; error: KrbError };

/**
 * A KDC client for the AS (RFC 4120 3.1) and TGS (3.3) exchanges over TCP, with encrypted-timestamp
 * pre-authentication (5.2.7.2) keyed from ETYPE-INFO2 (5.2.7.5), and the keyed checksum of the
 * request body in the PA-TGS-REQ authenticator (7.2.2), which Windows and Samba KDCs require.
 */
export class KdcClient {
  private readonly timeoutMs: number;
  private readonly now: () => Date;
  private readonly random: (n: number) => Buffer;

  constructor(private readonly options: KdcClientOptions) {
    if (options.kdcs.length === 0) throw new WcceError('CONFIG', 'Kerberos needs at least one KDC address');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? randomBytes;
  }

  private get etypes(): number[] {
    return supportedEtypes({ allowRc4: this.options.allowRc4 ?? false });
  }

  /** AS exchange: a TGT (or, with `server`, a ticket for that service) for `client`. */
  async asExchange(client: Principal, source: ClientKeySource, server?: Principal): Promise<KerberosTicket> {
    const sname = server ?? { name: { nameType: NameType.SRV_INST, nameString: ['krbtgt', client.realm] }, realm: client.realm };
    const offered = source.kind === 'keytab' ? this.etypes.filter((e) => source.entries.some((k) => k.key.etype === e)) : this.etypes;
    if (offered.length === 0) throw new WcceError('CONFIG', `keytab has no usable key (etypes ${this.etypes.join(', ')}) for ${principalToString(client)}`);

    // First try without pre-authentication: the KDC answers PREAUTH_REQUIRED with ETYPE-INFO2,
    // or (a principal without +requires_preauth) an AS-REP whose padata names the salt.
    let reply = await this.sendAsReq(client, sname, offered, []);
    let usedKey: KerberosKey | undefined;
    if (reply.kind === 'error' && reply.error.errorCode === KrbErrorCode.KDC_ERR_PREAUTH_REQUIRED) {
      const info = etypeInfoFrom(reply.error.eData ? decodeMethodData(reply.error.eData, 'KRB-ERROR.e-data') : []);
      usedKey = this.clientKey(client, source, offered, info);
      const ts = sealData(usedKey, KeyUsage.AS_REQ_PA_ENC_TIMESTAMP, encodePaEncTsEnc(this.now()), { allowRc4: true });
      reply = await this.sendAsReq(client, sname, [usedKey.etype], [{ type: PaDataType.ENC_TIMESTAMP, value: encodeEncryptedData(ts) }]);
    }
    if (reply.kind === 'error') throw krbErrorToWcce(reply.error, `AS exchange for ${principalToString(client)}`, this.now());
    const rep = reply.rep;
    const key = usedKey && usedKey.etype === rep.encPart.etype ? usedKey : this.clientKey(client, source, [rep.encPart.etype], etypeInfoFrom(rep.padata));
    let plain: Buffer;
    try {
      plain = openData(key, KeyUsage.AS_REP_ENC_PART, rep.encPart);
    } catch (e) {
      // Without pre-authentication a wrong password only shows here.
      if (isWcceError(e) && e.code === 'INTEGRITY')
        throw new WcceError(
          'AUTH_FAILED',
          `Kerberos AS exchange for ${principalToString(client)}: the reply does not decrypt with our key (wrong password or key)`,
        );
      throw e;
    }
    return this.ticketFrom(rep, decodeEncKdcRepPart(plain), sname);
  }

  /** TGS exchange: a ticket for `server` with a TGT; `renew` renews `tgt` itself (RFC 4120 3.3.1). */
  async tgsExchange(tgt: KerberosTicket, server: Principal, renew = false): Promise<KerberosTicket> {
    const now = this.now();
    // RFC 4120 2.6 / 3.3.3: FORWARDABLE and RENEWABLE may only be asked of a TGT that has them. A
    // plain `kinit` TGT is not forwardable, and Heimdal (Samba) answers KDC_ERR_BADOPTION otherwise.
    const inherited = (tgt.flags & TicketFlags.FORWARDABLE ? KdcOptions.FORWARDABLE : 0) | (tgt.flags & TicketFlags.RENEWABLE ? KdcOptions.RENEWABLE : 0);
    const body: KdcReqBody = {
      kdcOptions: renew ? KdcOptions.RENEW | inherited : inherited | KdcOptions.RENEWABLE_OK | KdcOptions.CANONICALIZE,
      realm: server.realm,
      sname: server.name,
      till: new Date(now.getTime() + (this.options.lifetimeSeconds ?? 36_000) * 1000),
      rtime: new Date(now.getTime() + (this.options.renewableSeconds ?? 604_800) * 1000),
      nonce: this.nonce(),
      etypes: this.etypes,
    };
    const bodyDer = encodeKdcReqBody(body);
    const profile = encryptionProfile(tgt.sessionKey.etype, { allowRc4: true });
    // RFC 4120 7.2.2: the authenticator carries a keyed checksum over the encoded KDC-REQ-BODY (usage 6).
    const authenticator = encodeAuthenticator({
      crealm: tgt.client.realm,
      cname: tgt.client.name,
      cksum: { type: profile.checksumType, value: profile.checksum(tgt.sessionKey.value, KeyUsage.TGS_REQ_PA_TGS_REQ_CHECKSUM, bodyDer) },
      cusec: (now.getTime() % 1000) * 1000,
      ctime: now,
    });
    const apReq = encodeApReq({
      apOptions: 0,
      ticket: tgt.ticket,
      authenticator: sealData(tgt.sessionKey, KeyUsage.TGS_REQ_PA_TGS_REQ_AUTHENTICATOR, authenticator),
    });
    const padata: PaData[] = [{ type: PaDataType.TGS_REQ, value: apReq }];
    const message = encodeKdcReq({ msgType: MessageType.TGS_REQ, padata, body }, bodyDer);
    const during = `TGS exchange for ${principalToString(server)}`;
    const reply = await this.send(message, MessageType.TGS_REP, during);
    if (reply.kind === 'error') throw krbErrorToWcce(reply.error, during, this.now());
    const part = decodeEncKdcRepPart(openData(tgt.sessionKey, KeyUsage.TGS_REP_ENC_PART_SESSION_KEY, reply.rep.encPart));
    if (part.nonce !== body.nonce) throw new WcceError('PROTOCOL', `Kerberos ${during}: reply nonce does not match the request`);
    return this.ticketFrom(reply.rep, part, server);
  }

  private async sendAsReq(client: Principal, sname: Principal, etypes: number[], preauth: PaData[]): Promise<KdcReply> {
    const now = this.now();
    const body: KdcReqBody = {
      kdcOptions: KdcOptions.FORWARDABLE | KdcOptions.RENEWABLE | KdcOptions.RENEWABLE_OK,
      cname: client.name,
      realm: client.realm,
      sname: sname.name,
      till: new Date(now.getTime() + (this.options.lifetimeSeconds ?? 36_000) * 1000),
      rtime: new Date(now.getTime() + (this.options.renewableSeconds ?? 604_800) * 1000),
      nonce: this.nonce(),
      etypes,
    };
    const padata = [...preauth, paPacRequest(this.options.requestPac ?? true)];
    const during = `AS exchange for ${principalToString(client)}`;
    const reply = await this.send(encodeKdcReq({ msgType: MessageType.AS_REQ, padata, body }), MessageType.AS_REP, during);
    if (reply.kind === 'rep') {
      // The nonce is checked once the enc-part is decrypted (ticketFrom); remember it on the reply.
      nonces.set(reply.rep, body.nonce);
    }
    return reply;
  }

  /** Sends to each KDC in turn until one answers; transport failures move on to the next. */
  private async send(message: Buffer, expected: typeof MessageType.AS_REP | typeof MessageType.TGS_REP, during: string): Promise<KdcReply> {
    let lastError: unknown;
    for (const kdc of this.options.kdcs) {
      let raw: Buffer;
      try {
        raw = await kdcExchange(kdc, message, this.timeoutMs);
      } catch (e) {
        lastError = e;
        if (isWcceError(e) && (e.code === 'TRANSPORT' || e.code === 'TIMEOUT')) continue;
        throw e;
      }
      if (isKrbError(raw)) return { kind: 'error', error: decodeKrbError(raw) };
      return { kind: 'rep', rep: decodeKdcRep(raw, expected) };
    }
    if (isWcceError(lastError)) throw new WcceError(lastError.code, `Kerberos ${during}: no KDC reachable; last: ${lastError.message}`, { cause: lastError });
    throw new WcceError('TRANSPORT', `Kerberos ${during}: no KDC reachable`, { cause: lastError });
  }

  private clientKey(client: Principal, source: ClientKeySource, etypes: number[], info: EtypeInfo2Entry[]): KerberosKey {
    // RFC 4120 5.2.7.5: the first ETYPE-INFO2 entry we support is the KDC's choice.
    const chosen = info.find((i) => etypes.includes(i.etype)) ?? (info.length === 0 ? { etype: etypes[0]! } : undefined);
    if (!chosen) throw new WcceError('UNSUPPORTED', `Kerberos: the KDC offers etypes ${info.map((i) => i.etype).join(', ')}, we support ${etypes.join(', ')}`);
    if (source.kind === 'keytab') {
      const entry = source.entries.filter((e) => e.key.etype === chosen.etype && samePrincipal(e.principal, client, true)).sort((a, b) => b.kvno - a.kvno)[0];
      if (!entry) throw new WcceError('CONFIG', `keytab has no etype ${chosen.etype} key for ${principalToString(client)}`);
      return entry.key;
    }
    // RFC 4120 4: the default salt is the realm followed by the name components.
    const salt = chosen.salt ?? client.realm + client.name.nameString.join('');
    const profile = encryptionProfile(chosen.etype, { allowRc4: this.options.allowRc4 ?? false });
    return { etype: chosen.etype, value: profile.stringToKey(source.password, salt, chosen.s2kParams) };
  }

  private ticketFrom(rep: KdcRep, part: EncKdcRepPart, requested: Principal): KerberosTicket {
    const expectedNonce = nonces.get(rep);
    if (expectedNonce !== undefined && expectedNonce !== part.nonce) throw new WcceError('PROTOCOL', 'Kerberos AS reply nonce does not match the request');
    return {
      client: { name: rep.cname, realm: rep.crealm },
      server: { name: part.sname, realm: part.srealm ?? requested.realm },
      ticket: rep.ticket,
      sessionKey: part.key,
      flags: part.flags,
      authtime: part.authtime,
      starttime: part.starttime ?? part.authtime,
      endtime: part.endtime,
      ...(part.renewTill ? { renewTill: part.renewTill } : {}),
    };
  }

  private nonce(): number {
    return this.random(4).readUInt32BE(0) & 0x7fffffff;
  }
}

const nonces = new WeakMap<KdcRep, number>();

function etypeInfoFrom(padata: PaData[]): EtypeInfo2Entry[] {
  const pa = padata.find((p) => p.type === PaDataType.ETYPE_INFO2);
  return pa ? decodeEtypeInfo2(pa.value) : [];
}

/** Parses EncryptedData bytes (used by tests and the acceptor). */
export function parseEncryptedData(buf: Buffer, structure: string): ReturnType<typeof decodeEncryptedData> {
  return decodeEncryptedData(parseOne(buf, DerTag.SEQUENCE, structure, 'EncryptedData'), structure);
}
