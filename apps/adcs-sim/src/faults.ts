/**
 * Fault injection: what the simulator does to one MS-ICPR call instead of (or before) answering
 * it, so tests and benchmarks can see how a client copes with a slow, hung, crashing or failing CA.
 *
 * Sources, combined per call:
 * - process-wide faults (`--fault`, or `PUT /faults` at run time);
 * - `--fail-first N` (or `failFirst` in `PUT /faults`): the next N calls fail transiently with an
 *   RPC FAULT nca_s_server_too_busy (0x1C010014) — a status Windows RPC uses for a server that
 *   cannot take the call now, which clients treat as retryable and which keeps the association;
 * - per request, magic DNS names in the CSR's subjectAltName: `delay-<duration>.sim`
 *   (e.g. `delay-2s.sim`, `delay-500ms.sim`), `hang.sim`, `drop.sim`, `fault.sim`.
 *
 * Effects: `delay` waits, then the call proceeds; `hang` never answers the call (the pipe stays
 * open until the client gives up); `drop` closes the TCP connection without answering; `rpc-fault`
 * answers a FAULT PDU nca_s_fault_remote_no_memory (0x1C000012, transient). Delays add up; of the
 * terminal faults the first one found wins (fail-first, then process-wide, then the request's).
 */
import type { SimFault } from './cli.js';

export type { SimFault } from './cli.js';

/** RPC fault statuses the simulator injects (C706 Appendix E / MS-RPCE 2.2.2.12 values). */
export const InjectedFaultStatus = {
  /** `rpc-fault` and `fault.sim`. */
  REMOTE_NO_MEMORY: 0x1c000012,
  /** `--fail-first N`. */
  SERVER_TOO_BUSY: 0x1c010014,
} as const;

export type TerminalFault =
  { kind: 'hang'; source: FaultSource } | { kind: 'drop'; source: FaultSource } | { kind: 'rpc-fault'; status: number; source: FaultSource };

export type FaultSource = 'process' | 'request' | 'fail-first';

/** What to do with one call: wait `delayMs`, then the terminal fault if any, else answer normally. */
export interface FaultDecision {
  delayMs: number;
  terminal?: TerminalFault;
}

const MAX_DELAY_MS = 10 * 60 * 1000;

/** Parses `2s`, `500ms`, `1.5s`, `1m` (as the CLI's delay=DURATION). */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  return ms <= MAX_DELAY_MS ? Math.round(ms) : undefined;
}

/** One fault from its command-line / admin-API text: `hang`, `drop`, `rpc-fault`, `delay=2s`. */
export function parseFault(text: string): SimFault | undefined {
  if (text === 'hang' || text === 'drop' || text === 'rpc-fault') return { kind: text };
  if (text.startsWith('delay=')) {
    const ms = parseDuration(text.slice('delay='.length));
    return ms === undefined ? undefined : { kind: 'delay', ms };
  }
  return undefined;
}

export function formatFault(fault: SimFault): string {
  return fault.kind === 'delay' ? `delay=${fault.ms}ms` : fault.kind;
}

/**
 * Faults named by the request's DNS SANs (`*.sim`, case-insensitive). Unknown `.sim` names are
 * ordinary names. `delay-2s.sim` → delay 2000 ms.
 */
export function faultsFromNames(dnsNames: readonly string[]): SimFault[] {
  const out: SimFault[] = [];
  for (const raw of dnsNames) {
    const name = raw.toLowerCase().replace(/\.$/, '');
    if (name === 'hang.sim') out.push({ kind: 'hang' });
    else if (name === 'drop.sim') out.push({ kind: 'drop' });
    else if (name === 'fault.sim') out.push({ kind: 'rpc-fault' });
    else {
      const m = /^delay-([0-9.]+(?:ms|s|m)?)\.sim$/.exec(name);
      const ms = m ? parseDuration(m[1] as string) : undefined;
      if (ms !== undefined) out.push({ kind: 'delay', ms });
    }
  }
  return out;
}

function addAll(decision: FaultDecision, faults: readonly SimFault[], source: FaultSource): void {
  for (const f of faults) {
    if (f.kind === 'delay') decision.delayMs += f.ms;
    else if (decision.terminal === undefined) {
      decision.terminal = f.kind === 'rpc-fault' ? { kind: 'rpc-fault', status: InjectedFaultStatus.REMOTE_NO_MEMORY, source } : { kind: f.kind, source };
    }
  }
}

export interface FaultPlanSnapshot {
  faults: string[];
  /** Calls still to fail with --fail-first semantics. */
  failFirst: number;
  /** Calls failed so far by fail-first. */
  failedFirst: number;
}

/** The process-wide fault settings, changed at run time by the admin API. */
export class FaultPlan {
  private faults: SimFault[];
  private failRemaining: number;
  private failedSoFar = 0;

  constructor(faults: readonly SimFault[] = [], failFirst = 0) {
    this.faults = [...faults];
    this.failRemaining = failFirst;
  }

  /** Replaces the process-wide faults; `failFirst` (when given) restarts the fail-first count. */
  set(faults: readonly SimFault[], failFirst?: number): void {
    this.faults = [...faults];
    if (failFirst !== undefined) {
      this.failRemaining = failFirst;
      this.failedSoFar = 0;
    }
  }

  snapshot(): FaultPlanSnapshot {
    return { faults: this.faults.map(formatFault), failFirst: this.failRemaining, failedFirst: this.failedSoFar };
  }

  /** Decides the fate of one ICPR call (consumes one fail-first slot when any are left). */
  decide(requestFaults: readonly SimFault[] = []): FaultDecision {
    const decision: FaultDecision = { delayMs: 0 };
    if (this.failRemaining > 0) {
      this.failRemaining--;
      this.failedSoFar++;
      decision.terminal = { kind: 'rpc-fault', status: InjectedFaultStatus.SERVER_TOO_BUSY, source: 'fail-first' };
    }
    addAll(decision, this.faults, 'process');
    addAll(decision, requestFaults, 'request');
    return decision;
  }
}
