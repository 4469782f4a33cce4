/**
 * MS-ICPR CertServerRequest (opnum 0) on the simulated CA: maps each decoded call to the CA
 * engine (submit, or retrieve when pctbRequest is NULL — research/wcce-protocol.md §2.6), applies
 * injected faults (faults.ts), and counts what it answered.
 *
 * Call-level refusals happen before this code, in libs/wcce's icprInterface: a call below
 * PKT_PRIVACY gets E_ACCESSDENIED (0x80070005) in the method's return value, as AD CS with
 * IF_ENFORCEENCRYPTICERTREQUEST does (MS-ICPR 3.2.4.1.1); an attribute blob whose cb does not
 * match its string gets E_INVALIDARG. An unknown CA name is the engine's answer: E_INVALIDARG as
 * the disposition (exact ICPR value unverified; see ca/engine.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCsr } from '@enrollgate/pki';
import {
  Disposition,
  RpcServerFault,
  icprInterface,
  type CertServerResponse,
  type IcprServerRequest,
  type RpcCallerIdentity,
  type RpcInterfaceRegistration,
} from '@enrollgate/wcce';
import type { Logger } from '@enrollgate/platform';
import type { CaResponse, SubmitRequest } from './ca/index.js';
import { type FaultPlan, type SimFault, faultsFromNames } from './faults.js';
import type { DispositionLabel, IcprOperation, SimMetrics } from './sim-metrics.js';

/** The part of SimCaEngine the ICPR service uses. */
export interface IcprCa {
  submit(req: SubmitRequest): Promise<CaResponse>;
  retrieve(caName: string, requestId: number): Promise<CaResponse>;
}

/** What the service knows about the pipe a call arrived on. */
export interface IcprPipeContext {
  /** The SMB session's user (fallback requester when the RPC context names none). */
  smbPeer?: string;
  remoteAddress: string;
  /** Aborted when the pipe closes: hung and delayed calls stop waiting. */
  signal: AbortSignal;
  /** Drops the TCP connection without an answer (`drop`). */
  disconnect(): void;
}

export interface IcprServiceOptions {
  ca: IcprCa;
  faults: FaultPlan;
  metrics: SimMetrics;
  logger: Logger;
}

/** Thrown into a call abandoned because its pipe closed (never reaches the client). */
class PipeGone extends Error {
  constructor() {
    super('pipe closed while the call was held');
    this.name = 'PipeGone';
  }
}

export class IcprService {
  constructor(private readonly options: IcprServiceOptions) {}

  /** The ICertPassage registration for one pipe open. */
  registration(pipe: IcprPipeContext): RpcInterfaceRegistration {
    const inner = icprInterface((request, caller) => this.handle(request, caller, pipe));
    return {
      ...inner,
      handler: async (opnum, stub, caller) => {
        if (caller.belowMinimumLevel) {
          // icprInterface answers E_ACCESSDENIED; counted here because the CA logic never sees it.
          this.options.metrics.calls.inc({ operation: 'refused' });
          this.options.metrics.requests.inc({ operation: 'refused', disposition: 'refused' });
          this.options.logger.info(
            { level: caller.authLevel, peer: caller.peerName, remote: pipe.remoteAddress },
            'ICPR call below packet privacy refused with E_ACCESSDENIED',
          );
        }
        return inner.handler(opnum, stub, caller);
      },
    };
  }

  private async handle(request: IcprServerRequest, caller: RpcCallerIdentity, pipe: IcprPipeContext): Promise<CertServerResponse> {
    const operation: IcprOperation = request.request === null ? 'retrieve' : 'submit';
    const { metrics, logger } = this.options;
    metrics.calls.inc({ operation });

    const decision = this.options.faults.decide(operation === 'submit' ? requestFaults(request.request as Buffer) : []);
    if (decision.delayMs > 0) {
      metrics.faults.inc({ fault: 'delay', source: 'any' });
      await abortable(sleep(decision.delayMs, undefined, { signal: pipe.signal }), pipe.signal);
    }
    const terminal = decision.terminal;
    if (terminal) {
      metrics.faults.inc({ fault: terminal.kind, source: terminal.source });
      logger.info({ fault: terminal.kind, source: terminal.source, operation, remote: pipe.remoteAddress }, 'injecting a fault into an ICPR call');
      switch (terminal.kind) {
        case 'rpc-fault':
          throw new RpcServerFault(terminal.status, `injected fault (${terminal.source})`);
        case 'drop':
          pipe.disconnect();
          return never(pipe.signal);
        case 'hang':
          return never(pipe.signal);
      }
    }

    const requester = caller.peerName ?? pipe.smbPeer ?? 'anonymous';
    const caName = request.authority ?? '';
    const answer =
      operation === 'retrieve'
        ? await this.options.ca.retrieve(caName, request.requestId)
        : await this.options.ca.submit({ caName, attributes: request.attributeText, csrDer: request.request as Buffer, requester });
    metrics.requests.inc({ operation, disposition: dispositionLabel(answer.disposition) });
    logger.debug({ operation, requestId: answer.requestId, disposition: answer.disposition, requester }, 'ICPR call answered');
    return toWire(answer);
  }
}

/** CaResponse → CertServerRequest [out] parameters (return value 0: the CA processed the call). */
export function toWire(answer: CaResponse): CertServerResponse {
  return {
    requestId: answer.requestId,
    disposition: answer.disposition >>> 0,
    cert: answer.pkcs7 ? Buffer.from(answer.pkcs7) : null,
    encodedCert: answer.certificate ? Buffer.from(answer.certificate) : null,
    dispositionMessage: answer.message,
    returnValue: 0,
  };
}

export function dispositionLabel(disposition: number): DispositionLabel {
  if (disposition === Disposition.ISSUED) return 'issued';
  if (disposition === Disposition.UNDER_SUBMISSION) return 'pending';
  return 'denied';
}

/** Magic `*.sim` DNS names in the CSR's subjectAltName; an unparsable CSR has none (the CA rejects it). */
export function requestFaults(csrDer: Buffer): SimFault[] {
  // Every magic name ends in `.sim`, which a DER IA5String carries verbatim: most CSRs need no parse.
  if (!csrDer.toString('latin1').toLowerCase().includes('.sim')) return [];
  try {
    const csr = parseCsr(csrDer);
    return faultsFromNames(csr.sans.filter((s) => s.type === 'dns').map((s) => s.value));
  } catch {
    return [];
  }
}

function never(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(new PipeGone());
    else signal.addEventListener('abort', () => reject(new PipeGone()), { once: true });
  });
}

async function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (signal.aborted) throw new PipeGone();
    throw e;
  }
}
