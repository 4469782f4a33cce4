import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AcmeReply } from '../acme/reply.js';
import type { AcmeServer } from '../acme/acme-server.js';
import type { IncomingPost } from '../jose/request-verifier.js';

/** Response nonces already issued while the request's nonce was spent (see IncomingPost.onNextNonce). */
const issuedNonces = new WeakMap<FastifyRequest, string>();

/** The pieces of a Fastify request the JWS checks need. */
export function incomingPost(req: FastifyRequest): IncomingPost {
  const nonceHeader = req.headers['replay-nonce'];
  return {
    path: req.url,
    contentType: req.headers['content-type'],
    replayNonceHeader: Array.isArray(nonceHeader) ? nonceHeader.join(',') : nonceHeader,
    body: req.body,
    onNextNonce: (nonce) => issuedNonces.set(req, nonce),
  };
}

/** Headers every ACME response carries: the directory index link, no caching, optionally a fresh nonce. */
export async function commonHeaders(server: AcmeServer, res: FastifyReply, links: { url: string; rel: string }[] = [], nonce = true): Promise<void> {
  res.header('link', [{ url: server.urls.directory, rel: 'index' }, ...links].map((l) => `<${l.url}>;rel="${l.rel}"`).join(', '));
  res.header('cache-control', 'no-store');
  if (nonce) res.header('replay-nonce', takeIssuedNonce(res.request) ?? (await server.nonces.issue()));
}

/** The nonce issued for this request's response, once (a second reply must not reuse it). */
function takeIssuedNonce(req: FastifyRequest | undefined): string | undefined {
  if (!req) return undefined;
  const nonce = issuedNonces.get(req);
  issuedNonces.delete(req);
  return nonce;
}

export async function sendReply(server: AcmeServer, res: FastifyReply, reply: AcmeReply): Promise<void> {
  await commonHeaders(server, res, reply.links);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.header(name, value);
  res.status(reply.status);
  if (reply.contentType) {
    res.header('content-type', reply.contentType);
    await res.send(reply.body);
  } else {
    res.header('content-type', 'application/json');
    await res.send(JSON.stringify(reply.body));
  }
}
