import type { AcmeAccount, AcmeAuthorization, AcmeChallenge, AcmeOrder } from '@enrollgate/store';
import type { AcmeUrls } from './urls.js';

/** JSON representations of the resources (RFC 8555 §7.1.2–7.1.5). */
export function accountView(urls: AcmeUrls, account: AcmeAccount): Record<string, unknown> {
  return {
    status: account.status,
    contact: account.contact,
    termsOfServiceAgreed: account.termsOfServiceAgreed,
    orders: urls.accountOrders(account.id),
    createdAt: account.createdAt,
  };
}

export function orderView(urls: AcmeUrls, order: AcmeOrder): Record<string, unknown> {
  return {
    status: order.status,
    expires: order.expires,
    identifiers: order.identifiers,
    authorizations: order.authorizationIds.map((id) => urls.authz(id)),
    finalize: urls.finalize(order.id),
    ...(order.profile ? { profile: order.profile } : {}),
    ...(order.replaces ? { replaces: order.replaces } : {}),
    ...(order.status === 'valid' ? { certificate: urls.certificate(order.id) } : {}),
    ...(order.error ? { error: order.error } : {}),
  };
}

export function challengeView(urls: AcmeUrls, challenge: AcmeChallenge): Record<string, unknown> {
  return {
    type: challenge.type,
    url: urls.challenge(challenge.id),
    status: challenge.status,
    token: challenge.token,
    ...(challenge.validated ? { validated: challenge.validated } : {}),
    ...(challenge.error ? { error: challenge.error } : {}),
  };
}

export function authorizationView(urls: AcmeUrls, authz: AcmeAuthorization): Record<string, unknown> {
  return {
    identifier: authz.identifier,
    status: authz.status,
    expires: authz.expires,
    challenges: authz.challenges.map((c) => challengeView(urls, c)),
    ...(authz.wildcard ? { wildcard: true } : {}),
  };
}
