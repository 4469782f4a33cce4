import { isPkiError, parseCertificate } from '@enrollgate/pki';
import type { AcmeOrderRepository } from '@enrollgate/store';
import { AcmeProblem, malformed, notFound, unauthorized } from '../acme/problems.js';
import { json, type AcmeReply } from '../acme/reply.js';
import type { VerifiedRequest } from '../jose/request-verifier.js';
import { payloadObject } from '../jose/request-verifier.js';
import { normaliseHexSerial } from '../orders/order.service.js';
import { parseCertId } from './cert-id.js';

export interface RenewalInfoOptions {
  windowStartPercent: number;
  windowEndPercent: number;
  retryAfterSeconds: number;
}

/** RFC 5280 §5.3.1 reasons a subscriber may give (Boulder: not 2, 6, 8, 10). */
const REVOCATION_REASONS = new Set([0, 1, 3, 4, 5, 9]);

/** ARI (RFC 9773) and revocation requests (RFC 8555 §7.6). */
export class CertificateStatusService {
  constructor(
    private readonly orders: AcmeOrderRepository,
    private readonly options: RenewalInfoOptions,
  ) {}

  /** GET renewalInfo/<certID>: the suggested window inside the certificate's lifetime. */
  async renewalInfo(certIdText: string): Promise<AcmeReply> {
    const certId = parseCertId(certIdText);
    const order = await this.orders.findByCertificateSerial(certId.serial);
    const cert = order?.certificate;
    if (!cert || (cert.aki !== null && cert.aki !== certId.aki)) throw notFound('certificate');
    const from = Date.parse(cert.notBefore);
    const lifetime = Date.parse(cert.notAfter) - from;
    const at = (percent: number) => new Date(from + Math.floor((lifetime * percent) / 100)).toISOString();
    return json(
      200,
      { suggestedWindow: { start: at(this.options.windowStartPercent), end: at(this.options.windowEndPercent) } },
      { 'retry-after': String(this.options.retryAfterSeconds) },
    );
  }

  /**
   * revokeCert: every check of §7.6 runs (certificate, reason, authority of the signer), then a
   * clear answer that revocation through AD CS is not available yet — never a 500.
   */
  async revoke(request: VerifiedRequest): Promise<AcmeReply> {
    const payload = payloadObject(request);
    if (typeof payload['certificate'] !== 'string' || !/^[A-Za-z0-9_-]+$/.test(payload['certificate'])) throw malformed('certificate must be base64url DER');
    const reason = payload['reason'];
    if (reason !== undefined && (typeof reason !== 'number' || !REVOCATION_REASONS.has(reason))) {
      throw new AcmeProblem('badRevocationReason', `reason ${String(reason)} is not allowed (0, 1, 3, 4, 5, 9)`);
    }
    let serial: string;
    let spki: Buffer;
    try {
      const cert = parseCertificate(new Uint8Array(Buffer.from(payload['certificate'], 'base64url')));
      serial = normaliseHexSerial(cert.serialNumber);
      spki = Buffer.from(cert.spki);
    } catch (e) {
      if (isPkiError(e)) throw malformed(`certificate does not parse: ${e.message}`);
      throw e;
    }
    const order = await this.orders.findByCertificateSerial(serial);
    if (!order) throw notFound('certificate');
    const byAccount = request.account !== undefined && request.account.id === order.accountId;
    const byCertKey = request.account === undefined && request.key.spki.equals(spki);
    if (!byAccount && !byCertKey) throw unauthorized('neither the issuing account nor the certificate key signed this request');
    throw new AcmeProblem(
      'serverInternal',
      `revocation through AD CS is not implemented yet; ask the CA administrator to revoke serial ${serial} (certutil -revoke ${serial})`,
      { status: 501 },
    );
  }
}
