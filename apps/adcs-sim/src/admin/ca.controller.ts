import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { STATE_DIR } from './tokens.js';

/** The CA certificate clients trust (the root; `DIR/ca.pem`). */
@Controller()
export class CaController {
  constructor(@Inject(STATE_DIR) private readonly stateDir: string) {}

  @Get('ca.pem')
  async caPem(@Res() res: FastifyReply): Promise<void> {
    const pem = await readFile(join(this.stateDir, 'ca.pem'), 'utf8');
    await res.header('content-type', 'application/x-pem-file').send(pem);
  }
}
