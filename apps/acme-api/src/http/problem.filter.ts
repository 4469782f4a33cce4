import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AcmeServer } from '../acme/acme-server.js';
import { AcmeProblem } from '../acme/problems.js';
import { commonHeaders } from './acme-http.js';

/**
 * Every error of an ACME route becomes an RFC 7807 problem document (RFC 8555 §6.7) with a
 * fresh nonce (§6.5: badNonce must carry one so the client can retry). Unexpected errors are
 * logged and answered as serverInternal without internals.
 */
@Catch()
export class AcmeProblemFilter implements ExceptionFilter {
  constructor(@Inject(AcmeServer) private readonly server: AcmeServer) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const res = host.switchToHttp().getResponse<FastifyReply>();
    let problem: AcmeProblem;
    if (exception instanceof AcmeProblem) problem = exception;
    else if (exception instanceof HttpException && exception.getStatus() < 500)
      problem = new AcmeProblem('malformed', exception.message, { status: exception.getStatus() });
    else {
      this.server.logger.error({ err: exception }, 'unexpected error in an ACME request');
      problem = new AcmeProblem('serverInternal', 'internal error; the request can be retried');
    }
    this.server.problems.inc({ type: problem.type });
    try {
      await commonHeaders(this.server, res);
    } catch (e) {
      // Redis down: still answer the problem, without a nonce.
      this.server.logger.error({ err: e }, 'cannot issue a nonce for a problem response');
    }
    for (const [name, value] of Object.entries(problem.headers)) res.header(name, value);
    await res.status(problem.status).header('content-type', 'application/problem+json').send(JSON.stringify(problem.toDocument()));
  }
}
