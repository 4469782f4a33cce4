/**
 * Every URL the server hands out, from the configured public base URL (never the Host header),
 * and the paths it routes. A JWS `url` is compared with `base + path of the request`, so an
 * ingress that strips a path prefix still matches (RFC 8555 §6.4).
 */
export const ROUTES = {
  directory: '/directory',
  newNonce: '/acme/new-nonce',
  newAccount: '/acme/new-account',
  newOrder: '/acme/new-order',
  revokeCert: '/acme/revoke-cert',
  keyChange: '/acme/key-change',
  renewalInfo: '/acme/renewal-info',
  account: '/acme/acct',
  order: '/acme/order',
  authz: '/acme/authz',
  challenge: '/acme/chall',
  certificate: '/acme/cert',
} as const;

export class AcmeUrls {
  constructor(readonly base: string) {}

  of(path: string): string {
    return this.base + path;
  }
  get directory() {
    return this.of(ROUTES.directory);
  }
  account(id: string) {
    return `${this.base}${ROUTES.account}/${id}`;
  }
  accountOrders(id: string) {
    return `${this.base}${ROUTES.account}/${id}/orders`;
  }
  /** `kid` values must carry this prefix (Boulder). */
  get accountPrefix() {
    return `${this.base}${ROUTES.account}/`;
  }
  order(id: string) {
    return `${this.base}${ROUTES.order}/${id}`;
  }
  finalize(id: string) {
    return `${this.base}${ROUTES.order}/${id}/finalize`;
  }
  authz(id: string) {
    return `${this.base}${ROUTES.authz}/${id}`;
  }
  challenge(id: string) {
    return `${this.base}${ROUTES.challenge}/${id}`;
  }
  certificate(id: string) {
    return `${this.base}${ROUTES.certificate}/${id}`;
  }
}
