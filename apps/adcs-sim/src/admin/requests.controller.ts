import { BadRequestException, ConflictException, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { encodePem } from '@enrollgate/pki';
import { SimCaError, type CaResponse, type RequestStatus, type RequestSummary, type SimCaEngine } from '../ca/index.js';
import { hresultHex } from '../ca/index.js';
import { CA_ENGINE } from './tokens.js';

const STATUSES: readonly RequestStatus[] = ['pending', 'issued', 'denied'];

export interface AdminDecision {
  requestId: number;
  status: RequestStatus;
  disposition: number;
  message: string;
  hresult?: string;
  /** PEM of the issued certificate (approve). */
  certificate?: string;
}

/**
 * The certificate manager's view of the CA database (certsrv.msc "Pending Requests"):
 * list by status, approve (certutil -resubmit) or deny (certutil -deny) a pending request.
 */
@Controller('requests')
export class RequestsController {
  constructor(@Inject(CA_ENGINE) private readonly engine: SimCaEngine) {}

  @Get()
  list(@Query('status') status?: string): { requests: RequestSummary[] } {
    if (status !== undefined && !STATUSES.includes(status as RequestStatus)) {
      throw new BadRequestException(`status must be one of ${STATUSES.join(', ')}, got "${status}"`);
    }
    return { requests: this.engine.list(status as RequestStatus | undefined) };
  }

  @Post(':id/approve')
  @HttpCode(200)
  async approve(@Param('id') id: string): Promise<AdminDecision> {
    return decision(await this.guard(() => this.engine.approve(requestId(id))));
  }

  @Post(':id/deny')
  @HttpCode(200)
  async deny(@Param('id') id: string): Promise<AdminDecision> {
    return decision(await this.guard(() => this.engine.deny(requestId(id))));
  }

  private async guard(action: () => Promise<CaResponse>): Promise<CaResponse> {
    try {
      return await action();
    } catch (e) {
      if (e instanceof SimCaError && e.code === 'UNKNOWN_REQUEST') throw new NotFoundException(e.message);
      if (e instanceof SimCaError && e.code === 'NOT_PENDING') throw new ConflictException(e.message);
      throw e;
    }
  }
}

function requestId(text: string): number {
  const n = Number(text);
  if (!/^\d{1,10}$/.test(text) || n <= 0 || n > 0xffffffff) throw new BadRequestException(`request id must be a positive integer, got "${text}"`);
  return n;
}

function decision(r: CaResponse): AdminDecision {
  const status: RequestStatus = r.disposition === 3 ? 'issued' : r.disposition === 5 ? 'pending' : 'denied';
  const out: AdminDecision = { requestId: r.requestId, status, disposition: r.disposition, message: r.message };
  if (r.hresult !== undefined) out.hresult = hresultHex(r.hresult);
  if (r.certificate) out.certificate = encodePem('CERTIFICATE', r.certificate);
  return out;
}
