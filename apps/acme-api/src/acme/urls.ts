/**
 * Every URL the server hands out, from the configured public base URL (never the Host header),
 * and the paths it routes. A JWS `url` is compared with `base + route path of the request`
 * (RFC 8555 §6.4). The base may carry a path prefix (`https://pki.example.com/acme`): every URL
 * handed out starts with it, and the routes are served both under it (an ingress that keeps the
 * prefix) and without it (an ingress that strips it); see prefixRewriter.
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

/** The path of the public base URL without a trailing slash: '' for none, else e.g. '/acme'. */
export function publicPathPrefix(base: string): string {
  const path = new URL(base).pathname.replace(/\/+$/, '');
  return path === '/' ? '' : path;
}

/** Routes that take a path parameter (`/acme/order/<id>/finalize`); the others match exactly. */
const PARAMETRISED: readonly string[] = [ROUTES.account, ROUTES.order, ROUTES.authz, ROUTES.challenge, ROUTES.certificate, ROUTES.renewalInfo];

/** True for a path (no query) this server routes as an ACME resource. */
export function isAcmeRoutePath(path: string): boolean {
  return Object.values(ROUTES).some((route) => path === route || (PARAMETRISED.includes(route) && path.startsWith(`${route}/`)));
}

/**
 * The URL rewrite that serves the ACME routes under the public base URL's path prefix as well:
 * `<prefix><route>` is routed as `<route>`, so the request path the JWS `url` is checked against
 * is the same whether the ingress kept or stripped the prefix. A path is only rewritten when what
 * follows the prefix is an ACME route, so unprefixed requests (`/acme/new-order` with the prefix
 * `/acme`) keep working. Undefined when the public URL has no path.
 */
export function prefixRewriter(base: string): ((url: string) => string) | undefined {
  const prefix = publicPathPrefix(base);
  if (!prefix) return undefined;
  return (url) => {
    if (!url.startsWith(prefix)) return url;
    const rest = url.slice(prefix.length);
    const path = rest.split('?')[0] as string;
    return isAcmeRoutePath(path) ? rest : url;
  };
}
