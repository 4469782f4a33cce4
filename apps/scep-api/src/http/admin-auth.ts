/**
 * HTTP authentication of the NDES admin page, /certsrv/mscep_admin/, as IIS does it with Windows
 * authentication (research/scep-windows.md §5.1/§5.3): `WWW-Authenticate: Negotiate`, `NTLM` and
 * (when enabled) `Basic`. NTLM runs RFC 4559 style over one keep-alive connection:
 *
 *   GET (no credentials)              → 401  WWW-Authenticate: Negotiate / NTLM / Basic realm=…
 *   GET  Authorization: NTLM <type 1> → 401  WWW-Authenticate: NTLM <type 2>   (state kept on the socket)
 *   GET  Authorization: NTLM <type 3> → 200  (NTLMv2 proof checked against the admin account)
 *
 * `Negotiate` carries the same raw NTLMSSP tokens (what go-ntlmssp, Fleet's client, and
 * requests-ntlm send); SPNEGO-wrapped tokens (Kerberos) are refused with a fresh 401. The
 * acceptor is libs/wcce's (the one adcs-sim uses for SMB): NTLMv1 and anonymous logons are refused,
 * a MIC is verified when announced. Authentication is per request: a completed handshake
 * authorises the request that carried the AUTHENTICATE message only (IIS would keep the connection
 * authenticated; a reverse proxy reusing its upstream connection for other users makes that unsafe).
 */
import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { NtlmAcceptorContext, NtlmMessageType, ntHash, ntlmMessageType } from '@enrollgate/wcce';
import { checkBasicAuth } from './basic-auth.js';

export type AdminAuthScheme = 'negotiate' | 'ntlm' | 'basic';

export interface AdminAuthOptions {
  user: string;
  password: string;
  schemes: readonly AdminAuthScheme[];
  /** NetBIOS names announced in the NTLM CHALLENGE (the account is a local one: any domain the client sends is accepted) */
  netbiosDomain?: string;
  netbiosComputer?: string;
}

export type AdminAuthResult =
  | { ok: true; user: string; scheme: AdminAuthScheme }
  /** 401 with these WWW-Authenticate values; `reason` for the log (never a secret) */
  | { ok: false; wwwAuthenticate: string[]; reason: string };

interface Handshake {
  scheme: 'negotiate' | 'ntlm';
  acceptor: NtlmAcceptorContext;
}

const HEADER_NAME: Record<AdminAuthScheme, string> = { negotiate: 'Negotiate', ntlm: 'NTLM', basic: 'Basic' };

export class AdminAuthenticator {
  private readonly handshakes = new WeakMap<Socket, Handshake>();
  private readonly ntHash: Buffer;

  constructor(private readonly options: AdminAuthOptions) {
    this.ntHash = ntHash(options.password);
  }

  /** The bare offers of a 401: `Negotiate`, `NTLM`, `Basic realm="mscep_admin"` (those enabled, in that order). */
  offers(): string[] {
    return this.options.schemes.map((s) => (s === 'basic' ? 'Basic realm="mscep_admin"' : HEADER_NAME[s]));
  }

  async authenticate(authorization: string | undefined, socket: Socket): Promise<AdminAuthResult> {
    const refuse = (reason: string): AdminAuthResult => {
      this.handshakes.delete(socket);
      return { ok: false, wwwAuthenticate: this.offers(), reason };
    };
    if (!authorization) return refuse('no credentials');
    const m = /^(\S+)\s+(\S+)\s*$/.exec(authorization);
    const scheme = m?.[1]?.toLowerCase();
    if (!m || (scheme !== 'basic' && scheme !== 'ntlm' && scheme !== 'negotiate') || !this.options.schemes.includes(scheme)) {
      return refuse(`scheme ${JSON.stringify(m?.[1] ?? authorization.split(' ')[0])} not offered`);
    }
    if (scheme === 'basic') {
      return checkBasicAuth(authorization, this.options.user, this.options.password)
        ? { ok: true, user: this.options.user, scheme }
        : refuse('Basic: wrong user or password');
    }
    const token = Buffer.from(m[2]!, 'base64');
    let type: number;
    try {
      type = ntlmMessageType(token);
    } catch {
      return refuse(`${HEADER_NAME[scheme]}: not a raw NTLMSSP token (SPNEGO/Kerberos is not accepted here)`);
    }
    if (type === NtlmMessageType.NEGOTIATE) {
      const acceptor = this.acceptor();
      try {
        const step = await acceptor.step(token);
        this.handshakes.set(socket, { scheme, acceptor });
        return { ok: false, wwwAuthenticate: [`${HEADER_NAME[scheme]} ${step.output!.toString('base64')}`], reason: 'NTLM challenge sent' };
      } catch (e) {
        return refuse(`NTLM NEGOTIATE rejected: ${(e as Error).message}`);
      }
    }
    if (type === NtlmMessageType.AUTHENTICATE) {
      const handshake = this.handshakes.get(socket);
      this.handshakes.delete(socket);
      if (!handshake) return refuse('NTLM AUTHENTICATE without a CHALLENGE on this connection');
      try {
        await handshake.acceptor.step(token);
        return { ok: true, user: handshake.acceptor.peerName ?? this.options.user, scheme };
      } catch (e) {
        return refuse(`NTLM logon failed: ${(e as Error).message}`);
      }
    }
    return refuse(`NTLM message type ${type} out of order`);
  }

  private acceptor(): NtlmAcceptorContext {
    return new NtlmAcceptorContext({
      lookupUser: (user) => (user.replace(/^.*\\/, '').toLowerCase() === this.options.user.toLowerCase() ? Buffer.from(this.ntHash) : undefined),
      netbiosDomain: this.options.netbiosDomain ?? 'ENROLLGATE',
      netbiosComputer: this.options.netbiosComputer ?? 'NDES',
    });
  }
}
