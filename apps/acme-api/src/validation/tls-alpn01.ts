import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { certificateExtensions, octetStringContent } from './der-extensions.js';
import { failed, networkFailure, passed, type ChallengeTarget, type ChallengeValidator, type ValidationOutcome } from './outcome.js';
import { ResolveError, type ValidationResolver } from './resolver.js';

/** RFC 8737 §6.1: the ALPN protocol and id-pe-acmeIdentifier (1.3.6.1.5.5.7.1.31). */
export const ACME_TLS_ALPN = 'acme-tls/1';
export const ACME_IDENTIFIER_OID_HEX = '2b0601050507011f';

/** RFC 8738 §6: the SNI of an IP identifier is its reverse-DNS name. */
export function reverseDnsName(ip: string): string {
  if (isIP(ip) === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail !== undefined ? Array<string>(8 - h.length - t.length).fill('0') : [];
  const full = [...h, ...fill, ...t].map((g) => g.padStart(4, '0'));
  return `${full.join('').split('').reverse().join('.')}.ip6.arpa`;
}

export interface TlsAlpn01Options {
  port: number;
  timeoutMs: number;
}

/**
 * tls-alpn-01 (RFC 8737 §3): a TLS handshake to port 443 with SNI = the identifier and ALPN
 * acme-tls/1 must present a certificate whose only SAN is the identifier and which carries the
 * critical acmeIdentifier extension with SHA-256 of the key authorization.
 */
export class TlsAlpn01Validator implements ChallengeValidator {
  readonly type = 'tls-alpn-01';

  constructor(
    private readonly resolver: ValidationResolver,
    private readonly options: TlsAlpn01Options,
  ) {}

  async validate(target: ChallengeTarget): Promise<ValidationOutcome> {
    let addresses: string[];
    try {
      addresses = await this.resolver.addresses(target.value);
    } catch (e) {
      return e instanceof ResolveError ? failed('dns', e.message, e.transient) : networkFailure(`resolving ${target.value}`, e);
    }
    const servername = target.type === 'ip' ? reverseDnsName(target.value) : target.value;
    let socket: TLSSocket;
    try {
      socket = await this.handshake(addresses[0] as string, servername);
    } catch (e) {
      return networkFailure(`TLS handshake with ${target.value}:${this.options.port}`, e);
    }
    try {
      if (socket.alpnProtocol !== ACME_TLS_ALPN) return failed('tls', `server did not negotiate ALPN ${ACME_TLS_ALPN}`);
      const cert = socket.getPeerX509Certificate();
      if (!cert) return failed('tls', 'no certificate presented');
      const sans = (cert.subjectAltName ?? '').split(', ').filter(Boolean);
      const expected = target.type === 'ip' ? `IP Address:${target.value}` : `DNS:${target.value}`;
      if (sans.length !== 1 || sans[0]?.toLowerCase() !== expected.toLowerCase()) {
        return failed('unauthorized', `certificate SANs ${JSON.stringify(sans)} must be exactly ${expected}`);
      }
      const ext = certificateExtensions(new Uint8Array(cert.raw))?.find((e) => e.oidHex === ACME_IDENTIFIER_OID_HEX);
      if (!ext) return failed('unauthorized', 'certificate has no acmeIdentifier extension');
      if (!ext.critical) return failed('unauthorized', 'acmeIdentifier extension must be critical');
      const digest = octetStringContent(ext.value);
      const want = createHash('sha256').update(target.keyAuthorization).digest();
      if (!digest || !Buffer.from(digest).equals(want)) return failed('incorrectResponse', 'acmeIdentifier does not hold SHA-256 of the key authorization');
      return passed;
    } finally {
      socket.destroy();
    }
  }

  private handshake(address: string, servername: string): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: address, port: this.options.port, servername, ALPNProtocols: [ACME_TLS_ALPN], rejectUnauthorized: false });
      socket.setTimeout(this.options.timeoutMs, () =>
        socket.destroy(Object.assign(new Error(`timed out after ${this.options.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      );
      socket.once('secureConnect', () => {
        socket.setTimeout(0);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }
}
