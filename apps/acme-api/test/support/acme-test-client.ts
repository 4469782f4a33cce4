/**
 * A low-level ACME client for the specs: it signs whatever it is told (wrong alg, stale nonce,
 * other url, jwk and kid together…) so each server check can be hit on its own.
 */
import { createHash, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { buildCsr, generateKeyPair, type SanEntry } from '@enrollgate/pki';

export interface AcmeKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  alg: 'ES256' | 'ES384' | 'RS256';
  jwk: Record<string, string>;
  thumbprint: string;
}

export function newKey(kind: 'p256' | 'p384' | 'rsa2048' = 'p256'): AcmeKey {
  const pair =
    kind === 'rsa2048' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: kind === 'p256' ? 'P-256' : 'P-384' });
  const full = pair.publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const jwk: Record<string, string> =
    kind === 'rsa2048'
      ? { e: full['e'] as string, kty: 'RSA', n: full['n'] as string }
      : { crv: full['crv'] as string, kty: 'EC', x: full['x'] as string, y: full['y'] as string };
  const required = kind === 'rsa2048' ? ['e', 'kty', 'n'] : ['crv', 'kty', 'x', 'y'];
  const thumbprint = createHash('sha256')
    .update('{' + required.map((k) => `"${k}":"${jwk[k]}"`).join(',') + '}')
    .digest('base64url');
  return { ...pair, alg: kind === 'rsa2048' ? 'RS256' : kind === 'p256' ? 'ES256' : 'ES384', jwk, thumbprint };
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export function signJws(key: AcmeKey, header: Record<string, unknown>, payload: unknown): { protected: string; payload: string; signature: string } {
  const protectedB64 = b64(header);
  const payloadB64 = payload === '' ? '' : b64(payload);
  const hash = header['alg'] === 'ES384' ? 'sha384' : 'sha256';
  const signature = sign(
    hash,
    Buffer.from(`${protectedB64}.${payloadB64}`),
    key.alg === 'RS256' ? key.privateKey : { key: key.privateKey, dsaEncoding: 'ieee-p1363' },
  );
  return { protected: protectedB64, payload: payloadB64, signature: signature.toString('base64url') };
}

export function eabJws(
  kid: string,
  hmacKey: Buffer,
  accountJwk: Record<string, string>,
  url: string,
  alg: 'HS256' | 'HS384' | 'HS512' = 'HS256',
  extra: Record<string, unknown> = {},
) {
  const protectedB64 = b64({ alg, kid, url, ...extra });
  const payloadB64 = b64(accountJwk);
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  const signature = createHmac(hash, hmacKey).update(`${protectedB64}.${payloadB64}`).digest('base64url');
  return { protected: protectedB64, payload: payloadB64, signature };
}

export interface AcmeResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

export interface PostOptions {
  /** sign with the jwk instead of the account kid */
  jwk?: boolean;
  key?: AcmeKey;
  /** null: omit the nonce; a string: use it */
  nonce?: string | null;
  url?: string;
  headerOverrides?: Record<string, unknown>;
  contentType?: string;
  rawBody?: string;
  extraHeaders?: Record<string, string>;
}

export class AcmeTestClient {
  kid: string | undefined;
  directory: Record<string, string> = {};

  /**
   * `directoryUrl` is where the test connects; `publicBase` is the server's configured public URL,
   * which the directory hands out and every JWS signs (as behind an ingress): requests to it are
   * sent to the connect address instead.
   */
  constructor(
    readonly directoryUrl: string,
    readonly publicBase: string,
    public key: AcmeKey = newKey(),
  ) {}

  /** Replicas to alternate between (each request goes to the next one); default the directory's origin. */
  origins: string[] = [];
  private turn = 0;

  /** Where a public URL is actually reached. */
  connectUrl(url: string): string {
    if (!url.startsWith(this.publicBase)) return url;
    const origin = this.origins.length > 0 ? (this.origins[this.turn++ % this.origins.length] as string) : new URL(this.directoryUrl).origin;
    return origin + url.slice(this.publicBase.length);
  }

  async init(): Promise<this> {
    const res = await fetch(this.directoryUrl);
    this.directory = (await res.json()) as Record<string, string>;
    return this;
  }

  async nonce(): Promise<string> {
    const res = await fetch(this.connectUrl(this.directory['newNonce'] as string), { method: 'HEAD' });
    return res.headers.get('replay-nonce') as string;
  }

  async post(url: string, payload: unknown, options: PostOptions = {}): Promise<AcmeResponse> {
    const key = options.key ?? this.key;
    const header: Record<string, unknown> = { alg: key.alg, url: options.url ?? url };
    const nonce = options.nonce === undefined ? await this.nonce() : options.nonce;
    if (nonce !== null) header['nonce'] = nonce;
    if (options.jwk || !this.kid) header['jwk'] = key.jwk;
    else header['kid'] = this.kid;
    Object.assign(header, options.headerOverrides ?? {});
    for (const [k, v] of Object.entries(header)) if (v === undefined) delete header[k];
    const body = options.rawBody ?? JSON.stringify(signJws(key, header, payload));
    const res = await fetch(this.connectUrl(url), {
      method: 'POST',
      headers: { 'content-type': options.contentType ?? 'application/jose+json', ...(options.extraHeaders ?? {}) },
      body,
    });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = {};
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  async newAccount(payload: Record<string, unknown> = { termsOfServiceAgreed: true, contact: ['mailto:test@example.org'] }): Promise<AcmeResponse> {
    const res = await this.post(this.directory['newAccount'] as string, payload, { jwk: true });
    if (res.status === 201 || res.status === 200) this.kid = res.headers.get('location') ?? undefined;
    return res;
  }

  async newOrder(identifiers: { type: string; value: string }[], extra: Record<string, unknown> = {}): Promise<AcmeResponse> {
    return this.post(this.directory['newOrder'] as string, { identifiers, ...extra });
  }

  keyAuthorization(token: string): string {
    return `${token}.${this.key.thumbprint}`;
  }

  /** Polls a resource (POST-as-GET) until its status is not one of `busy`. */
  async pollUntil(url: string, busy: string[], timeoutMs = 60_000): Promise<AcmeResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.post(url, '');
      if (!busy.includes(res.body['status'] as string) || Date.now() > deadline) return res;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function makeCsr(names: string[], options: { ips?: string[]; commonName?: string; keyKind?: 'p256' | 'rsa2048' } = {}): Promise<Buffer> {
  const keys = await generateKeyPair(options.keyKind ?? 'p256');
  const sans: SanEntry[] = [
    ...names.map((value) => ({ type: 'dns' as const, value })),
    ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const csr = await buildCsr({ subject: options.commonName !== undefined ? `CN=${options.commonName}` : '', keys, sans });
  return Buffer.from(csr.der);
}
