/**
 * Challenge passwords (research/scep-windows.md §5): a static one per profile (NDES
 * UseSinglePassword), one-time dynamic ones minted by the NDES-compatible admin page or the JSON
 * API (16 upper-case hex characters: no characters Windows profiles choke on), consumed once and
 * bound to the transaction that used them, so a retried request is answered again.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { FrontendRuntime } from '@enrollgate/enrollment';
import { ScepChallengeRepository, type ChallengeBinding, type ScepChallenge } from '@enrollgate/store';
import type { CsrInfo } from '@enrollgate/pki';
import { SCEP_CONFIG } from '../tokens.js';
import type { ScepConfig } from '../config.js';
import type { ScepProfile } from '../profiles/profiles.js';

export type ChallengeCheck = { ok: true; challengeId?: string; binding?: ChallengeBinding } | { ok: false; reason: string };

export function newChallengePassword(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

function sameSecret(a: string, b: string): boolean {
  // hash first: timingSafeEqual needs equal lengths, and the length must not leak either
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

@Injectable()
export class ChallengeService {
  readonly repository: ScepChallengeRepository;

  constructor(
    @Inject(SCEP_CONFIG) private readonly config: ScepConfig,
    @Inject(FrontendRuntime) runtime: FrontendRuntime,
  ) {
    this.repository = new ScepChallengeRepository(runtime.database);
  }

  get ttlMs(): number {
    return this.config.SCEP_CHALLENGE_TTL_MINUTES * 60_000;
  }

  /** Mints a one-time challenge; undefined when the cache (open challenges) is full. */
  async mint(
    source: 'mscep_admin' | 'api',
    options: { profile?: string; binding?: ChallengeBinding; ttlMs?: number } = {},
  ): Promise<{ password: string; challenge: ScepChallenge } | undefined> {
    const password = newChallengePassword();
    const challenge = await this.repository.mint({
      password,
      ttlMs: Math.min(options.ttlMs ?? this.ttlMs, this.ttlMs),
      cacheSize: this.config.SCEP_CHALLENGE_CACHE_SIZE,
      source,
      ...(options.profile ? { profile: options.profile } : {}),
      ...(options.binding ? { binding: options.binding } : {}),
    });
    return challenge ? { password, challenge } : undefined;
  }

  /**
   * Checks the CSR's challengePassword for a new request (`requestKey`), consuming a one-time
   * challenge. The static password is compared in constant time and never consumed.
   */
  async check(profile: ScepProfile, csr: CsrInfo, requestKey: string): Promise<ChallengeCheck> {
    const given = csr.challengePassword;
    if (given === undefined || given === '') {
      return profile.requireChallenge ? { ok: false, reason: 'the request carries no challenge password' } : { ok: true };
    }
    if (profile.challengePassword !== undefined && sameSecret(given, profile.challengePassword)) return { ok: true };
    const consumed = await this.repository.consume(given, requestKey, profile.name);
    if (consumed.ok) {
      return { ok: true, challengeId: consumed.challenge.id, ...(consumed.challenge.binding ? { binding: consumed.challenge.binding } : {}) };
    }
    if (!profile.requireChallenge) return { ok: true };
    const reasons = {
      unknown: 'unknown challenge password',
      expired: 'the challenge password has expired',
      consumed: 'the challenge password was already used',
      'wrong-profile': 'the challenge password belongs to another profile',
    };
    return { ok: false, reason: reasons[consumed.reason] };
  }
}
