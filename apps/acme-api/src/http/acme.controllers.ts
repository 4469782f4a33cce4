import { Controller, Get, Inject, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AcmeServer } from '../acme/acme-server.js';
import { AcmeProblem } from '../acme/problems.js';
import { json } from '../acme/reply.js';
import { commonHeaders, incomingPost, sendReply } from './acme-http.js';
import { AcmeProblemFilter } from './problem.filter.js';

/** GET directory, HEAD/GET newNonce, GET renewalInfo: the unauthenticated resources. */
@Controller()
@UseFilters(AcmeProblemFilter)
export class DirectoryController {
  constructor(@Inject(AcmeServer) private readonly server: AcmeServer) {}

  @Get('directory')
  async directory(@Res() res: FastifyReply): Promise<void> {
    await sendReply(this.server, res, json(200, this.server.directory()));
  }

  /** RFC 8555 §7.2: HEAD answers 200, GET 204, both with a nonce and no-store. */
  @Get('acme/new-nonce')
  async newNonce(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    await commonHeaders(this.server, res);
    await res.status(req.method === 'HEAD' ? 200 : 204).send();
  }

  @Get('acme/renewal-info/:certId')
  async renewalInfo(@Param('certId') certId: string, @Res() res: FastifyReply): Promise<void> {
    const reply = await this.server.certificates.renewalInfo(certId);
    res.header('link', `<${this.server.urls.directory}>;rel="index"`);
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.header(name, value);
    await res.status(reply.status).header('content-type', 'application/json').send(JSON.stringify(reply.body));
  }
}

/** The JWS-authenticated resources (RFC 8555 §7.3–7.6). Thin: verify, call one use case, send. */
@Controller('acme')
@UseFilters(AcmeProblemFilter)
export class AcmeController {
  constructor(@Inject(AcmeServer) private readonly server: AcmeServer) {}

  /** RFC 8555 §6.3: every resource but the directory and newNonce is POST (or POST-as-GET) only. */
  @Get([
    'new-account',
    'acct/:id',
    'acct/:id/orders',
    'key-change',
    'new-order',
    'order/:id',
    'order/:id/finalize',
    'authz/:id',
    'chall/:id',
    'cert/:id',
    'revoke-cert',
  ])
  getNotAllowed(): never {
    throw new AcmeProblem('malformed', 'this resource needs POST (use POST-as-GET to read it, RFC 8555 §6.3)', { status: 405, headers: { allow: 'POST' } });
  }

  @Post('new-account')
  async newAccount(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const request = await this.server.verifier.verify(incomingPost(req), 'jwk');
    await sendReply(this.server, res, await this.server.accounts.newAccount(request));
  }

  @Post('acct/:id')
  async account(@Param('id') id: string, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const request = await this.server.verifier.verify(incomingPost(req), 'kid');
    await sendReply(this.server, res, await this.server.accounts.update(request, id));
  }

  @Post('acct/:id/orders')
  async orders(@Param('id') id: string, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const request = await this.server.verifier.verify(incomingPost(req), 'kid');
    await sendReply(this.server, res, await this.server.orders.listOrders(request, id));
  }

  @Post('key-change')
  async keyChange(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const request = await this.server.verifier.verify(incomingPost(req), 'kid');
    await sendReply(this.server, res, await this.server.accounts.keyChange(request));
  }

  @Post('new-order')
  async newOrder(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const request = await this.server.verifier.verify(incomingPost(req), 'kid');
    await sendReply(this.server, res, await this.server.orders.newOrder(request));
  }

  @Post('order/:id')
  async order(@Param('id') id: string, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const request = await this.server.verifier.verify(incomingPost(req), 'kid');
    await sendReply(this.server, res, await this.server.orders.getOrder(request, id));
  }

  @Post('order/:id/finalize')
  async finalize(@Param('id') id: string, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const request = await this.server.verifier.verify(incomingPost(req), 'kid');
    await sendReply(this.server, res, await this.server.orders.finalize(request, id, req.ip, req.headers));
  }

  @Post('authz/:id')
  async authorization(@Param('id') id: string, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const request = await this.server.verifier.verify(incomingPost(req), 'kid');
    await sendReply(this.server, res, await this.server.orders.getAuthorization(request, id));
  }

  @Post('chall/:id')
  async challenge(@Param('id') id: string, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const request = await this.server.verifier.verify(incomingPost(req), 'kid');
    await sendReply(this.server, res, await this.server.orders.challenge(request, id));
  }

  @Post('cert/:id')
  async certificate(@Param('id') id: string, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const request = await this.server.verifier.verify(incomingPost(req), 'kid');
    await sendReply(this.server, res, await this.server.orders.certificate(request, id));
  }

  @Post('revoke-cert')
  async revoke(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const request = await this.server.verifier.verify(incomingPost(req), 'either');
    await sendReply(this.server, res, await this.server.certificates.revoke(request));
  }
}
