import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { failed, networkFailure, passed, type ChallengeTarget, type ChallengeValidator, type ValidationOutcome } from './outcome.js';
import { ResolveError, type ValidationResolver } from './resolver.js';

const MAX_REDIRECTS = 10;
const MAX_BODY = 1024;

export interface Http01Options {
  /** Port the validation connects to (80 in production; tests and split networks change it). */
  port: number;
  timeoutMs: number;
}

/**
 * http-01 (RFC 8555 §8.3): GET http://<identifier>:<port>/.well-known/acme-challenge/<token>
 * must answer the key authorization (surrounding whitespace ignored). Redirects are followed
 * (at most 10) to http on the validation port or https on 443 only, as Boulder does.
 */
export class Http01Validator implements ChallengeValidator {
  readonly type = 'http-01';

  constructor(
    private readonly resolver: ValidationResolver,
    private readonly options: Http01Options,
  ) {}

  async validate(target: ChallengeTarget): Promise<ValidationOutcome> {
    const host = target.type === 'ip' && isIP(target.value) === 6 ? `[${target.value}]` : target.value;
    let url = new URL(`http://${host}:${this.options.port}/.well-known/acme-challenge/${target.token}`);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      let addresses: string[];
      try {
        addresses = await this.resolver.addresses(url.hostname.replace(/^\[|\]$/g, ''));
      } catch (e) {
        return e instanceof ResolveError ? failed('dns', e.message, e.transient) : networkFailure(`resolving ${url.hostname}`, e);
      }
      let response: { status: number; location: string | undefined; body: string };
      try {
        response = await this.fetchOnce(url, addresses[0] as string);
      } catch (e) {
        return networkFailure(`fetching ${url.href}`, e);
      }
      if ([301, 302, 303, 307, 308].includes(response.status) && response.location) {
        let next: URL;
        try {
          next = new URL(response.location, url);
        } catch {
          return failed('connection', `redirect from ${url.href} to an invalid URL`);
        }
        const port = next.port ? Number(next.port) : next.protocol === 'https:' ? 443 : 80;
        const allowed = (next.protocol === 'http:' && port === this.options.port) || (next.protocol === 'https:' && port === 443);
        if (!allowed) return failed('connection', `redirect to ${next.href} refused: only http on port ${this.options.port} or https on 443`);
        url = next;
        continue;
      }
      if (response.status !== 200) return failed('unauthorized', `${url.href} answered HTTP ${response.status}`);
      const body = response.body.trim();
      if (body !== target.keyAuthorization) {
        return failed('incorrectResponse', `${url.href} answered "${body.slice(0, 100)}", expected the key authorization "${target.keyAuthorization}"`);
      }
      return passed;
    }
    return failed('connection', `more than ${MAX_REDIRECTS} redirects`);
  }

  private fetchOnce(url: URL, address: string): Promise<{ status: number; location: string | undefined; body: string }> {
    return new Promise((resolve, reject) => {
      const https = url.protocol === 'https:';
      const options = {
        host: address,
        port: url.port ? Number(url.port) : https ? 443 : 80,
        path: url.pathname + url.search,
        method: 'GET',
        headers: { host: url.host, 'user-agent': 'enrollgate-acme-validator/1', accept: '*/*', connection: 'close' },
        timeout: this.options.timeoutMs,
        agent: false as const,
        ...(https ? { servername: isIP(url.hostname) ? undefined : url.hostname, rejectUnauthorized: false } : {}),
      };
      const req = (https ? httpsRequest : httpRequest)(options, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_BODY) chunks.push(c);
          else res.destroy();
        });
        res.on('close', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`timed out after ${this.options.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end();
    });
  }
}
