/**
 * Admin JSON API: mint a one-time challenge bound to an expected subject/SAN/template (for MDMs
 * other than Fleet's NDES integration), and the CA thumbprints an MDM profile's CAThumbprint needs.
 */
import { BadRequestException, Body, Controller, Get, HttpCode, Inject, Post, Req, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ChallengeService } from '../challenges/challenge.service.js';
import type { ScepConfig } from '../config.js';
import { checkBasicAuth } from '../http/basic-auth.js';
import { RaService } from '../ra/ra.service.js';
import { SCEP_CONFIG } from '../tokens.js';

const mintSchema = z
  .object({
    profile: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)
      .optional(),
    subject: z.string().min(1).max(1024).optional(),
    sans: z.array(z.string().min(1).max(255)).max(100).optional(),
    template: z.string().min(1).max(64).optional(),
    ttlMinutes: z.number().int().positive().optional(),
  })
  .strict();

@Controller('api/scep')
export class ScepApiController {
  constructor(
    @Inject(SCEP_CONFIG) private readonly config: ScepConfig,
    @Inject(ChallengeService) private readonly challenges: ChallengeService,
    @Inject(RaService) private readonly ra: RaService,
  ) {}

  @Post('challenges')
  @HttpCode(201)
  async mint(@Req() req: FastifyRequest, @Body() body: unknown): Promise<{ challenge: string; expiresAt: string; profile: string }> {
    const user = this.config.SCEP_ADMIN_USER;
    const password = this.config.SCEP_ADMIN_PASSWORD;
    if (user === undefined || password === undefined || !checkBasicAuth(req.headers.authorization, user, password.reveal()))
      throw new UnauthorizedException('HTTP Basic credentials (SCEP_ADMIN_USER) required');
    const parsed = mintSchema.safeParse(body ?? {});
    if (!parsed.success) throw new BadRequestException(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const { profile, subject, sans, template, ttlMinutes } = parsed.data;
    const binding = { ...(subject ? { subject } : {}), ...(sans ? { sans } : {}), ...(template ? { template } : {}) };
    const minted = await this.challenges.mint('api', {
      ...(profile ? { profile: profile.toLowerCase() === 'default' ? 'default' : profile } : {}),
      ...(Object.keys(binding).length ? { binding } : {}),
      ...(ttlMinutes ? { ttlMs: ttlMinutes * 60_000 } : {}),
    });
    if (!minted) throw new ServiceUnavailableException('The password cache is full.');
    return { challenge: minted.password, expiresAt: minted.challenge.expiresAt, profile: minted.challenge.profile ?? 'any' };
  }

  /** CAThumbprint for MDM profiles: SHA-1 of the root (or of the issuing CA), 40 hex digits. */
  @Get('ca-thumbprint')
  thumbprint(): {
    caThumbprint: string;
    issuingCaThumbprint: string;
    chain: { subject: string; sha1: string; sha256: string; notAfter: string }[];
    ra: { usage: string; subject: string; notAfter: string }[];
  } {
    if (!this.ra.ready) throw new ServiceUnavailableException('the SCEP RA is not provisioned yet');
    const s = this.ra.current();
    const chain = s.chain.map((c) => ({ subject: c.subject, sha1: c.sha1Thumbprint, sha256: c.sha256Thumbprint, notAfter: c.notAfter.toISOString() }));
    return {
      caThumbprint: chain[chain.length - 1]?.sha1 ?? '',
      issuingCaThumbprint: chain[0]?.sha1 ?? '',
      chain,
      ra: [
        { usage: 'signing', subject: s.signing.certificate.subject, notAfter: s.signing.certificate.notAfter.toISOString() },
        { usage: 'encryption', subject: s.encryption.certificate.subject, notAfter: s.encryption.certificate.notAfter.toISOString() },
      ],
    };
  }
}
