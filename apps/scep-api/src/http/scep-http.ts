/**
 * The SCEP HTTP surface as a Fastify plugin (research/scep-windows.md §1): one catch-all route
 * classifies the path case-insensitively, reads `operation` and `message` from the raw query
 * string, and takes POST bodies as raw bytes whatever their Content-Type (strongSwan sends none,
 * micromdm application/octet-stream), capped at SCEP_MAX_BODY_BYTES. Responses carry exactly the
 * content types clients compare with string equality.
 */
import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, type Logger } from '@enrollgate/platform';
import { scep } from '@enrollgate/pki';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ChallengeService } from '../challenges/challenge.service.js';
import { cacheFullPage, challengePage, noPermissionPage, utf16le } from '../challenges/ndes-admin-page.js';
import type { ScepConfig } from '../config.js';
import { resolveProfiles, type ScepProfile } from '../profiles/profiles.js';
import { RaNotReadyError, RaService } from '../ra/ra.service.js';
import { PkiOperationService, UnanswerableMessageError } from '../scep/pki-operation.service.js';
import { SCEP_CONFIG } from '../tokens.js';
import { AdminAuthenticator } from './admin-auth.js';
import { decodeMessageParam, percentDecode, rawQueryParam } from './message-param.js';
import { classifyPath } from './routes.js';

/** GetCACaps (RFC 8894 §3.5.2); Renewal because RenewalReq is implemented; GetNextCACert only while a next CA is configured. */
export const CA_CAPS = ['POSTPKIOperation', 'SHA-1', 'SHA-256', 'SHA-512', 'AES', 'DES3', 'SCEPStandard', 'Renewal'];

@Injectable()
export class ScepHttp {
  readonly profiles: Map<string, ScepProfile>;
  private readonly adminAuth: AdminAuthenticator | undefined;

  constructor(
    @Inject(SCEP_CONFIG) private readonly config: ScepConfig,
    @Inject(PkiOperationService) private readonly pki: PkiOperationService,
    @Inject(RaService) private readonly ra: RaService,
    @Inject(ChallengeService) private readonly challenges: ChallengeService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.profiles = resolveProfiles(config);
    const user = config.SCEP_ADMIN_USER;
    const password = config.SCEP_ADMIN_PASSWORD;
    this.adminAuth =
      user !== undefined && password !== undefined ? new AdminAuthenticator({ user, password: password.reveal(), schemes: config.SCEP_ADMIN_AUTH }) : undefined;
  }

  /** Registers the catch-all route in its own encapsulated context (its own body parser). */
  plugin = async (fastify: FastifyInstance): Promise<void> => {
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: this.config.SCEP_MAX_BODY_BYTES }, (_req, body, done) => done(null, body));
    fastify.route({
      method: ['GET', 'POST', 'HEAD'],
      url: '/*',
      bodyLimit: this.config.SCEP_MAX_BODY_BYTES,
      handler: (req, reply) => this.dispatch(req, reply),
    });
  };

  private async dispatch(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const url = req.raw.url ?? '/';
    const q = url.indexOf('?');
    const route = classifyPath(q < 0 ? url : url.slice(0, q));
    if (route === undefined) return this.text(reply, 404, 'not found');
    if (route.kind === 'admin-redirect') return void (await reply.status(301).header('location', '/certsrv/mscep_admin/').send());
    if (route.kind === 'admin') return this.adminPage(req, reply);
    const profile = this.profiles.get(route.profile);
    if (profile === undefined) return this.text(reply, 404, `unknown SCEP profile "${route.profile}"`);
    const operation = percentDecode(rawQueryParam(url, 'operation') ?? '').toLowerCase();
    try {
      switch (operation) {
        case 'getcacaps':
          // message (a CA name; Windows sends "default") is ignored
          return this.text(reply, 200, (this.ra.ready && this.ra.nextCaCertificates() ? [...CA_CAPS, 'GetNextCACert'] : CA_CAPS).join('\n'));
        case 'getcacert':
          return await this.getCaCert(reply);
        case 'getnextcacert':
          return await this.getNextCaCert(reply);
        case 'pkioperation':
          return await this.pkiOperation(req, reply, url, profile);
        case '':
          return this.text(reply, 400, 'missing operation (GetCACaps, GetCACert or PKIOperation)');
        default:
          return this.text(reply, 400, `unsupported operation ${JSON.stringify(operation)}`);
      }
    } catch (e) {
      if (e instanceof RaNotReadyError) return void (await reply.status(503).header('retry-after', '10').header('content-type', 'text/plain').send(e.message));
      throw e;
    }
  }

  private async text(reply: FastifyReply, status: number, body: string): Promise<void> {
    await reply.status(status).header('content-type', 'text/plain').send(body);
  }

  private async getCaCert(reply: FastifyReply): Promise<void> {
    const certs = this.ra.caCertificates();
    if (certs.length === 1) return void (await reply.status(200).header('content-type', 'application/x-x509-ca-cert').send(Buffer.from(certs[0]!)));
    await reply
      .status(200)
      .header('content-type', 'application/x-x509-ca-ra-cert')
      .send(Buffer.from(scep.buildDegenerateSignedData(certs)));
  }

  /**
   * RFC 8894 §4.7: a SignedData signed by the RA signing key whose content is a degenerate
   * certs-only SignedData with the next CA certificate (then its chain).
   */
  private async getNextCaCert(reply: FastifyReply): Promise<void> {
    const ra = this.ra.current();
    const next = this.ra.nextCaCertificates();
    if (next === undefined) {
      return this.text(reply, 404, 'GetNextCACert: no CA rollover is pending here, there is no next CA certificate (not advertised in GetCACaps)');
    }
    const body = scep.buildSignedData({
      content: scep.buildDegenerateSignedData(next.map((c) => c.der)),
      attributes: [],
      digest: 'sha256',
      signerCertificate: ra.signing.certificate.der,
      signerKey: ra.signing.key,
      extraCertificates: ra.chain.map((c) => c.der),
    });
    await reply.status(200).header('content-type', 'application/x-x509-next-ca-cert').send(Buffer.from(body));
  }

  private async pkiOperation(req: FastifyRequest, reply: FastifyReply, url: string, profile: ScepProfile): Promise<void> {
    let der: Uint8Array | undefined;
    if (req.method === 'POST') {
      der = Buffer.isBuffer(req.body) ? new Uint8Array(req.body) : undefined;
      // some clients POST the base64 text instead of DER
      if (der && der[0] !== 0x30) der = decodeMessageParam(Buffer.from(der).toString('latin1'));
    } else {
      const raw = rawQueryParam(url, 'message');
      der = raw === undefined ? undefined : decodeMessageParam(raw);
    }
    if (der === undefined || der.length === 0) return this.text(reply, 400, 'PKIOperation needs a pkiMessage (POST body, or GET message=<base64>)');
    try {
      const certRep = await this.pki.handle(der, profile, req.ip);
      await reply.status(200).header('content-type', 'application/x-pki-message').send(Buffer.from(certRep));
    } catch (e) {
      if (e instanceof UnanswerableMessageError) {
        this.logger.info({ reason: e.message }, 'PKIOperation: not a pkiMessage');
        return this.text(reply, 400, `not a SCEP pkiMessage: ${e.message}`);
      }
      throw e;
    }
  }

  private async adminPage(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const html = (status: number, body: string) =>
      reply.status(status).header('content-type', 'text/html; charset=utf-16le').header('cache-control', 'no-store').send(utf16le(body));
    if (this.adminAuth === undefined) return void (await html(403, noPermissionPage()));
    const auth = await this.adminAuth.authenticate(req.headers.authorization, req.raw.socket);
    if (!auth.ok) {
      if (req.headers.authorization) this.logger.info({ reason: auth.reason, remoteAddress: req.ip }, 'mscep_admin: not authenticated');
      // 401 keeps the connection open: NTLM's CHALLENGE and AUTHENTICATE must travel on the same one
      return void (await reply
        .status(401)
        .header('www-authenticate', auth.wwwAuthenticate)
        .header('content-type', 'text/plain')
        .send('authentication required'));
    }
    const minted = await this.challenges.mint('mscep_admin');
    if (minted === undefined) return void (await html(200, cacheFullPage()));
    this.logger.info({ user: auth.user, scheme: auth.scheme, challengeId: minted.challenge.id }, 'mscep_admin: challenge password minted');
    const chain = this.ra.current().chain;
    const ca = chain[0] ?? this.ra.current().signing.certificate;
    await html(200, challengePage(minted.password, ca.der, this.config.SCEP_CHALLENGE_TTL_MINUTES));
  }
}
