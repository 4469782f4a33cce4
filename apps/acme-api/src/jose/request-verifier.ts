import type { AcmeAccount, AcmeAccountRepository } from '@enrollgate/store';
import type { AccountCache, CachedAccount } from '../accounts/account-cache.js';
import { AcmeProblem, malformed } from '../acme/problems.js';
import type { AcmeUrls } from '../acme/urls.js';
import type { NonceStore } from '../nonce/nonce-store.js';
import { importAccountKey, type AccountKey } from './jwk.js';
import { decodePayload, parseFlattenedJws, verifyJwsSignature, type FlattenedJws } from './jws.js';

/** What identifies the signer: a new key (`jwk`: newAccount, revoke by certificate key) or an account (`kid`). */
export type SignerMode = 'jwk' | 'kid' | 'either';

export interface IncomingPost {
  /** Path as received (the ingress may have stripped a prefix); the JWS url must be base + path. */
  path: string;
  contentType: string | undefined;
  /** A Replay-Nonce request header is refused: the nonce belongs in the JWS. */
  replayNonceHeader: string | undefined;
  body: unknown;
  /**
   * Receives the nonce for the response, issued in the same Redis round trip that spends the
   * request's nonce; the response (or problem) then carries it instead of issuing another.
   */
  onNextNonce?: (nonce: string) => void;
}

export interface VerifiedRequest {
  jws: FlattenedJws;
  key: AccountKey;
  /** The signing account (`kid` mode); undefined for `jwk` requests. */
  account: AcmeAccount | undefined;
  /** Decoded payload; undefined for POST-as-GET (empty payload). */
  payload: unknown;
  url: string;
}

const JOSE_JSON = 'application/jose+json';

/**
 * The request layer of RFC 8555 §6.2–6.5, in the order Boulder's wfe2/verify.go checks it:
 * content type, flattened JWS, jwk xor kid, algorithm matches key, signature, url, nonce, and
 * the account's status. Each failure is a problem of the type the RFC names.
 */
export class RequestVerifier {
  /** Parsed account keys by thumbprint: a CPU cache only (a key never changes under its thumbprint). */
  private readonly keys = new Map<string, AccountKey>();

  constructor(
    private readonly urls: AcmeUrls,
    private readonly nonces: NonceStore,
    private readonly accounts: AcmeAccountRepository,
    private readonly minRsaBits = 2048,
    /** Accounts kept between requests and confirmed by version in the nonce round trip (see AccountCache). */
    private readonly cache?: AccountCache,
  ) {}

  async verify(request: IncomingPost, mode: SignerMode): Promise<VerifiedRequest> {
    const contentType = request.contentType?.split(';')[0]?.trim().toLowerCase();
    if (contentType !== JOSE_JSON) throw malformed(`Content-Type must be ${JOSE_JSON}, got ${request.contentType ?? 'none'}`, 415);
    if (request.replayNonceHeader !== undefined) throw malformed('a Replay-Nonce request header is not allowed: the nonce belongs in the protected header');
    let body: unknown = request.body;
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      if (body.length === 0) throw malformed('empty request body');
      try {
        body = JSON.parse(body.toString());
      } catch {
        throw malformed('request body is not JSON');
      }
    }
    const jws = parseFlattenedJws(body);
    const { header } = jws;
    const hasJwk = header.jwk !== undefined;
    const hasKid = header.kid !== undefined;
    if (hasJwk && hasKid) throw malformed('protected header must have jwk or kid, not both');
    if (!hasJwk && !hasKid) throw malformed('protected header must have jwk or kid');
    if (mode === 'jwk' && !hasJwk) throw malformed('this request must be signed with a jwk, not a kid');
    if (mode === 'kid' && !hasKid) throw malformed('this request must be signed with the account (kid), not a jwk');

    let account: AcmeAccount | undefined;
    let key: AccountKey;
    let id: string | undefined;
    let cached: CachedAccount | undefined;
    if (hasJwk) {
      key = importAccountKey(header.jwk, this.minRsaBits);
    } else {
      const kid = header.kid;
      if (typeof kid !== 'string' || !kid.startsWith(this.urls.accountPrefix)) throw malformed(`kid must be an account URL under ${this.urls.accountPrefix}`);
      id = kid.slice(this.urls.accountPrefix.length);
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new AcmeProblem('accountDoesNotExist', `no account ${kid}`);
      cached = this.cache?.peek(id);
      account = cached?.account ?? (await this.readAccount(id));
      if (!account) throw new AcmeProblem('accountDoesNotExist', `no account ${kid}`);
      key = this.keyOf(account);
    }
    try {
      verifyJwsSignature(jws, key);
    } catch (e) {
      // A key changed on another replica: the cached key is not the one the client now signs with.
      if (!cached || id === undefined) throw e;
      cached = undefined;
      account = await this.readAccount(id);
      if (!account) throw new AcmeProblem('accountDoesNotExist', `no account ${header.kid as string}`);
      key = this.keyOf(account);
      verifyJwsSignature(jws, key);
    }

    const url = this.urls.of(request.path.split('?')[0] ?? '');
    if (typeof header.url !== 'string') throw malformed('protected header has no url');
    if (header.url !== url) throw new AcmeProblem('unauthorized', `JWS url ${header.url} does not match the request URL ${url}`);
    if (typeof header.nonce !== 'string' || header.nonce === '') throw new AcmeProblem('badNonce', 'protected header has no nonce');
    const versionKey = cached && id !== undefined ? this.cache?.versionKey(id) : undefined;
    const { valid, next, got } = await this.nonces.consumeAndIssue(header.nonce, versionKey);
    request.onNextNonce?.(next);
    if (!valid) throw new AcmeProblem('badNonce', 'nonce is unknown, used or expired');
    if (cached && id !== undefined && got !== cached.version) {
      // Changed since it was cached (on any replica): act on the account as it is now.
      account = await this.readAccount(id);
      if (!account) throw new AcmeProblem('accountDoesNotExist', `no account ${header.kid as string}`);
      const current = this.keyOf(account);
      if (current !== key) {
        key = current;
        verifyJwsSignature(jws, key);
      }
    }
    if (account && account.status !== 'valid') throw new AcmeProblem('unauthorized', `account is ${account.status}`);
    return { jws, key, account, payload: decodePayload(jws), url };
  }

  private readAccount(id: string): Promise<AcmeAccount | undefined> {
    return this.cache ? this.cache.load(id) : this.accounts.get(id);
  }

  private keyOf(account: AcmeAccount): AccountKey {
    let key = this.keys.get(account.jwkThumbprint);
    if (!key) {
      key = importAccountKey(account.jwk, 0);
      if (this.keys.size > 10_000) this.keys.clear();
      this.keys.set(account.jwkThumbprint, key);
    }
    return key;
  }
}

/** POST-as-GET (RFC 8555 §6.3): the payload must be the empty string. */
export function requirePostAsGet(request: VerifiedRequest): void {
  if (request.jws.payloadB64 !== '') throw malformed('POST-as-GET requests must have an empty payload');
}

/** The payload as a JSON object (most ACME requests); malformed otherwise. */
export function payloadObject(request: VerifiedRequest): Record<string, unknown> {
  const p = request.payload;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw malformed('payload must be a JSON object');
  return p as Record<string, unknown>;
}

/** The signer must be an account (narrowing for kid requests). */
export function accountOf(request: VerifiedRequest): AcmeAccount {
  if (!request.account) throw malformed('this request must be signed with the account (kid)');
  return request.account;
}
