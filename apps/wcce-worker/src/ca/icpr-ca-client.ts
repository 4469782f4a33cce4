import { readFileSync } from 'node:fs';
import { EnrollErrorCode, type ErrorInfo, type PendingRef } from '@enrollgate/contracts';
import { decodePem, readPkcs7Chain } from '@enrollgate/pki';
import type { Logger, Metrics } from '@enrollgate/platform';
import { IcprPool, WcceError, hex32, isWcceError, type CaTarget, type IcprPoolOptions, type IcprResult } from '@enrollgate/wcce';
import { CaError, type CaClient, type CaOutcome, type CaSubmitRequest } from './ca-client.js';

export interface IcprCaTarget extends CaTarget {
  /** acme2certifier `ca_bundle`: PEM chain used when the CA's PKCS#7 carries no chain. */
  caBundle?: string;
}

export interface IcprCaClientOptions {
  targets: IcprCaTarget[];
  pool: IcprPoolOptions;
  logger: Logger;
  metrics: Metrics;
  /** Random choice of the first target (acme2certifier's behaviour); injectable for tests. */
  random?: () => number;
}

/**
 * The production CaClient: MS-ICPR CertServerRequest over pooled SMB2/DCE-RPC associations.
 * Picks a random (host, CA) pair as acme2certifier does; on a transient error it tries the next
 * pair before giving up; a CA's refusal is an outcome (denied), not an error.
 */
export class IcprCaClient implements CaClient {
  private readonly pool: IcprPool;
  private readonly bundles = new Map<string, Buffer[]>();
  private readonly calls;
  private readonly latency;

  constructor(private readonly options: IcprCaClientOptions) {
    if (options.targets.length === 0) throw new CaError(EnrollErrorCode.CONFIG, 'no CA targets configured', false);
    this.pool = new IcprPool(options.pool);
    this.calls = options.metrics.counter('ca_calls_total', 'MS-ICPR calls by CA and result', ['ca', 'result']);
    this.latency = options.metrics.histogram('ca_call_seconds', 'MS-ICPR call latency by CA', ['ca']);
  }

  async submit(request: CaSubmitRequest): Promise<CaOutcome> {
    const attributes = Object.entries(request.attributes).map(([name, value]) => ({ name, value }));
    return this.onSomeTarget((target) => this.pool.submit(target, { template: request.template, csrDer: request.csrDer, attributes }));
  }

  async retrieve(ref: PendingRef): Promise<CaOutcome> {
    // Retrieval must go to the CA that holds the request.
    const target = this.options.targets.find((t) => t.host === ref.host && t.caName === ref.caName) ?? {
      host: ref.host,
      caName: ref.caName,
    };
    return this.call(target, () => this.pool.retrieve(target, ref.caRequestId));
  }

  private async onSomeTarget(fn: (target: IcprCaTarget) => Promise<IcprResult>): Promise<CaOutcome> {
    const targets = this.options.targets;
    const start = Math.floor((this.options.random ?? Math.random)() * targets.length);
    let last: unknown;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(start + i) % targets.length] as IcprCaTarget;
      try {
        return await this.call(target, () => fn(target));
      } catch (e) {
        last = e;
        if (!(e instanceof CaError) || !e.retryable) throw e;
        this.options.logger.warn({ ca: label(target), err: e.message }, 'CA call failed; trying the next CA of the pool');
      }
    }
    throw last;
  }

  private async call(target: IcprCaTarget, fn: () => Promise<IcprResult>): Promise<CaOutcome> {
    const ca = label(target);
    const ref = (requestId: number): PendingRef => ({ caRequestId: requestId, host: target.host, caName: target.caName });
    const end = this.latency.startTimer({ ca });
    try {
      const result = await fn();
      this.calls.inc({ ca, result: result.status });
      if (result.status === 'pending') return { kind: 'pending', ca: ref(result.requestId), message: result.message ?? undefined };
      return { kind: 'issued', certificate: result.certificate, chain: this.chainFor(target, result), ca: ref(result.requestId) };
    } catch (e) {
      const mapped = toOutcomeOrError(e, target);
      this.calls.inc({ ca, result: mapped instanceof CaError ? mapped.code : 'denied' });
      if (mapped instanceof CaError) throw mapped;
      return mapped;
    } finally {
      end();
    }
  }

  /** The chain from the CA's PKCS#7 (pctbCert), else the configured ca_bundle. Issuer first. */
  private chainFor(target: IcprCaTarget, result: Extract<IcprResult, { status: 'issued' }>): Buffer[] {
    if (result.pkcs7 && result.pkcs7.length > 0) {
      try {
        const { chain } = readPkcs7Chain(result.pkcs7, { leaf: result.certificate });
        if (chain.length > 1) return chain.slice(1).map((c) => Buffer.from(c.der));
      } catch (e) {
        this.options.logger.warn({ ca: label(target), err: (e as Error).message }, 'CA sent an unreadable PKCS#7; using ca_bundle');
      }
    }
    if (!target.caBundle) return [];
    let bundle = this.bundles.get(target.caBundle);
    if (!bundle) {
      bundle = decodePem(readFileSync(target.caBundle, 'utf8')).map((b) => Buffer.from(b.der));
      this.bundles.set(target.caBundle, bundle);
    }
    return bundle;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

function label(target: CaTarget): string {
  return `${target.host}${target.port && target.port !== 445 ? `:${target.port}` : ''}/${target.caName}`;
}

/** Exhaustive mapping of libs/wcce error codes onto the worker's retry decision. */
function toOutcomeOrError(e: unknown, target: CaTarget): CaError | Extract<CaOutcome, { kind: 'denied' }> {
  if (!isWcceError(e)) return new CaError(EnrollErrorCode.INTERNAL, e instanceof Error ? e.message : String(e), false, { host: target.host });
  const err: WcceError = e;
  const status = err.status === undefined ? undefined : hex32(err.status);
  const statusName = typeof err.details?.['hresult'] === 'string' ? (err.details['hresult'] as string) : undefined;
  const info = { status, statusName, host: target.host };
  switch (err.code) {
    case 'CA_DENIED': {
      const error: ErrorInfo = { code: EnrollErrorCode.CA_DENIED, message: err.message, status, statusName };
      const requestId = err.details?.['requestId'];
      const ca = typeof requestId === 'number' && requestId > 0 ? { caRequestId: requestId, host: target.host, caName: target.caName } : undefined;
      return { kind: 'denied', error, ca };
    }
    case 'AUTH_FAILED':
      return new CaError(EnrollErrorCode.AUTH_FAILED, err.message, false, info);
    case 'ACCESS_DENIED':
      return new CaError(EnrollErrorCode.CA_DENIED, err.message, false, info);
    case 'CONFIG':
    case 'UNSUPPORTED':
      return new CaError(EnrollErrorCode.CONFIG, err.message, false, info);
    case 'CA_UNAVAILABLE':
    case 'TRANSPORT':
    case 'TIMEOUT':
    case 'SMB_STATUS':
    case 'RPC_FAULT':
    case 'PROTOCOL':
    case 'INTEGRITY':
      return new CaError(EnrollErrorCode.CA_UNREACHABLE, err.message, err.retryable, info);
  }
}
