import { BadRequestException, Body, Controller, Get, Inject, Put } from '@nestjs/common';
import { z } from 'zod';
import { type FaultPlan, type FaultPlanSnapshot, type SimFault, parseFault } from '../faults.js';
import { FAULT_PLAN } from './tokens.js';

const faultsBody = z
  .object({
    faults: z.array(z.string()).max(16).default([]),
    failFirst: z.number().int().min(0).max(1_000_000).optional(),
  })
  .strict();

/**
 * Process-wide faults at run time: `PUT /faults {"faults":["delay=2s","hang"],"failFirst":3}`
 * replaces the list (and restarts the fail-first count when given); `{"faults":[]}` clears it.
 */
@Controller('faults')
export class FaultsController {
  constructor(@Inject(FAULT_PLAN) private readonly plan: FaultPlan) {}

  @Get()
  get(): FaultPlanSnapshot {
    return this.plan.snapshot();
  }

  @Put()
  put(@Body() body: unknown): FaultPlanSnapshot {
    const parsed = faultsBody.safeParse(body ?? {});
    if (!parsed.success) {
      throw new BadRequestException(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    }
    const faults: SimFault[] = [];
    for (const text of parsed.data.faults) {
      const f = parseFault(text);
      if (!f) throw new BadRequestException(`faults: expected hang, drop, rpc-fault or delay=DURATION (e.g. delay=2s), got "${text}"`);
      faults.push(f);
    }
    this.plan.set(faults, parsed.data.failFirst);
    return this.plan.snapshot();
  }
}
