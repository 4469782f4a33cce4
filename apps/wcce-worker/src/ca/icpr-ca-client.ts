import { readFileSync } from 'node:fs';
import { EnrollErrorCode, type ErrorInfo, type PendingRef } from '@enrollgate/contracts';
import { decodePem, readPkcs7Chain } from '@enrollgate/pki';
import type { Logger, Metrics } from '@enrollgate/platform';
import { IcprPool, hex32, isWcceError, type CaTarget, type IcprPoolOptions, type IcprResult, type PoolCallInfo } from '@enrollgate/wcce';
import { CaError, type CaClient, type CaOutcome, type CaSubmitRequest } from './ca-client.js';
import { CircuitBreaker, type BreakerOptions } from './circuit-breaker.js';
import { sameCaName } from './ca-router.js';
import type { CredentialGuard } from './credential-guard.js';

export interface IcprCaTarget extends CaTarget {
  /** acme2certifier `ca_bundle`: PEM chain used when the CA's PKCS#7 carries no chain. */
  caBundle?: string;
}

export interface IcprCaClientOptions {
  /** Pool name, for logs and metrics. */
  name: string;
  targets: IcprCaTarget[];
  pool: IcprPoolOptions;
  logger: Logger;
  metrics: Metrics;
  breaker?: BreakerOptions;
  credential?: CredentialGuard;
  /** acme2certifier `enrollment_config_log`: logged with every enrollment (secrets already removed). */
  configLog?: Record<string, unknown>;
  /** Random choice among healthy targets (acme2certifier draws one at random); injectable for tests. */
  random?: () => number;
}

const BREAKER_STATE = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * The production CaClient for one CA pool: MS-ICPR CertServerRequest over pooled SMB2/DCE-RPC
 * associations. Picks a random healthy (host, CA) pair; a per-host circuit breaker keeps dead
 * CAs out of the rotation; a transient error fails over to the next healthy pair; a CA's refusal
 * is an outcome (denied), not an error; an authentication failure blocks the credential.
 */
export class IcprCaClient implements CaClient {
  private readonly pool: IcprPool;
  private readonly bundles = new Map<string, Buffer[]>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly calls;
  private readonly latency;
  private readonly duplicates;

  constructor(private readonly options: IcprCaClientOptions) {
    if (options.targets.length === 0) throw new CaError(EnrollErrorCode.CONFIG, `CA pool ${options.name} has no targets`, false);
    this.pool = new IcprPool(options.pool);
    this.calls = options.metrics.counter('ca_calls_total', 'MS-ICPR calls by CA and result (issued, pending, denied or an error code)', [
      'pool',
      'ca',
      'result',
    ]);
    this.latency = options.metrics.histogram('ca_call_seconds', 'MS-ICPR call latency by CA', ['pool', 'ca']);
    this.duplicates = options.metrics.counter(
      'ca_possible_duplicate_total',
      'Requests that may have reached the CA before the connection failed and were then sent again (audit by request key)',
      ['pool', 'ca'],
    );
    const state = options.metrics.gauge('ca_circuit_state', 'Circuit breaker per CA host: 0 closed, 1 half-open, 2 open', ['pool', 'ca']);
    for (const t of options.targets) {
      const ca = label(t);
      const breaker = new CircuitBreaker(ca, options.breaker, (name, s) => {
        state.set({ pool: options.name, ca: name }, BREAKER_STATE[s]);
        options.logger.warn({ pool: options.name, ca: name, state: s }, `circuit ${s}`);
      });
      this.breakers.set(ca, breaker);
      state.set({ pool: options.name, ca }, 0);
    }
  }

  async submit(request: CaSubmitRequest): Promise<CaOutcome> {
    await this.checkCredential();
    if (this.options.configLog) this.options.logger.info({ requestKey: request.auditKey, config: this.options.configLog }, 'enrollment configuration');
    const attributes = Object.entries(request.attributes).map(([name, value]) => ({ name, value }));
    return this.onSomeTarget(request.auditKey, targetsOf(this.options.name, this.options.targets, request.caName), (target, info) =>
      this.pool.submit(target, { template: request.template, csrDer: request.csrDer, attributes }, info),
    );
  }

  async retrieve(ref: PendingRef): Promise<CaOutcome> {
    await this.checkCredential();
    // Retrieval must go to the CA that holds the request.
    const target = this.options.targets.find((t) => t.host === ref.host && t.caName === ref.caName) ?? { host: ref.host, caName: ref.caName };
    return this.call(target, undefined, (info) => this.pool.retrieve(target, ref.caRequestId, info));
  }

  private async checkCredential(): Promise<void> {
    const reason = await this.options.credential?.blockedReason();
    if (reason) throw new CaError(EnrollErrorCode.AUTH_FAILED, `credential blocked after an authentication failure (${reason})`, false, { blocked: true });
  }

  /** Healthy targets first (random start), then a probe of a half-open one; none → CA_UNREACHABLE. */
  private async onSomeTarget(
    auditKey: string | undefined,
    targets: readonly IcprCaTarget[],
    fn: (target: IcprCaTarget, info: PoolCallInfo) => Promise<IcprResult>,
  ): Promise<CaOutcome> {
    const start = Math.floor((this.options.random ?? Math.random)() * targets.length);
    const order = targets.map((_, i) => targets[(start + i) % targets.length] as IcprCaTarget);
    let last: unknown;
    let tried = 0;
    let sentBefore: string | undefined;
    for (const target of order) {
      const breaker = this.breakers.get(label(target));
      if (breaker && !breaker.allows()) continue;
      tried++;
      try {
        const outcome = await this.call(
          target,
          breaker,
          (info) => fn(target, info),
          (sent) => {
            if (sent) sentBefore = label(target);
          },
        );
        return outcome;
      } catch (e) {
        last = e;
        if (!(e instanceof CaError) || !e.retryable) throw e;
        if (sentBefore) {
          // acme2certifier #154: the CA may have recorded the request before the connection
          // failed; sending it again can create a second request. Count and log for audit.
          this.duplicates.inc({ pool: this.options.name, ca: sentBefore });
          this.options.logger.warn(
            { pool: this.options.name, ca: sentBefore, requestKey: auditKey },
            'request may have reached the CA before the failure; retrying may duplicate it',
          );
          sentBefore = undefined;
        }
        this.options.logger.warn({ pool: this.options.name, ca: label(target), err: e.message }, 'CA call failed; trying the next CA of the pool');
      }
    }
    if (tried === 0) throw new CaError(EnrollErrorCode.CA_UNREACHABLE, `every CA of pool ${this.options.name} has an open circuit`, true);
    throw last;
  }

  private async call(
    target: IcprCaTarget,
    breaker: CircuitBreaker | undefined,
    fn: (info: PoolCallInfo) => Promise<IcprResult>,
    onSent?: (sent: boolean) => void,
  ): Promise<CaOutcome> {
    const ca = label(target);
    const pool = this.options.name;
    const ref = (requestId: number): PendingRef => ({ caRequestId: requestId, host: target.host, caName: target.caName });
    const end = this.latency.startTimer({ pool, ca });
    const info: PoolCallInfo = { connected: false };
    breaker?.begin();
    try {
      const result = await fn(info);
      breaker?.success();
      this.calls.inc({ pool, ca, result: result.status });
      if (result.status === 'pending') return { kind: 'pending', ca: ref(result.requestId), message: result.message ?? undefined };
      return { kind: 'issued', certificate: result.certificate, chain: this.chainFor(target, result), ca: ref(result.requestId) };
    } catch (e) {
      const mapped = toOutcomeOrError(e, target);
      this.calls.inc({ pool, ca, result: mapped instanceof CaError ? mapped.code : 'denied' });
      if (mapped instanceof CaError) {
        if (mapped.retryable) breaker?.failure();
        else breaker?.success(); // the CA answered; the host is healthy
        if (mapped.code === EnrollErrorCode.AUTH_FAILED) await this.options.credential?.block(mapped.message);
        if (mapped.retryable) onSent?.(info.requestSent === true && mapped.code === EnrollErrorCode.CA_UNREACHABLE);
        throw mapped;
      }
      breaker?.success();
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

/**
 * The targets a submission may use: all of the pool's, or only those of the CA the job names
 * (acme2certifier kid profile `ca_name`); hosts of that CA still fail over to each other.
 * None of that name → a permanent CONFIG error (CaRouter checks first; this guards direct use).
 */
export function targetsOf(pool: string, targets: readonly IcprCaTarget[], caName: string | undefined): readonly IcprCaTarget[] {
  if (caName === undefined) return targets;
  const chosen = targets.filter((t) => sameCaName(t.caName, caName));
  if (chosen.length === 0) throw new CaError(EnrollErrorCode.CONFIG, `CA pool "${pool}" has no CA named "${caName}"`, false);
  return chosen;
}

export function label(target: CaTarget): string {
  return `${target.host}${target.port && target.port !== 445 ? `:${target.port}` : ''}/${target.caName}`;
}

/** Exhaustive mapping of libs/wcce error codes onto the worker's retry decision. */
function toOutcomeOrError(e: unknown, target: CaTarget): CaError | Extract<CaOutcome, { kind: 'denied' }> {
  if (e instanceof CaError) return e;
  if (!isWcceError(e)) return new CaError(EnrollErrorCode.INTERNAL, e instanceof Error ? e.message : String(e), false, { host: target.host });
  const status = e.status === undefined ? undefined : hex32(e.status);
  const statusName = typeof e.details?.['hresult'] === 'string' ? (e.details['hresult'] as string) : undefined;
  const info = { status, statusName, host: target.host };
  switch (e.code) {
    case 'CA_DENIED': {
      const error: ErrorInfo = { code: EnrollErrorCode.CA_DENIED, message: e.message, status, statusName };
      const requestId = e.details?.['requestId'];
      const ca = typeof requestId === 'number' && requestId > 0 ? { caRequestId: requestId, host: target.host, caName: target.caName } : undefined;
      return { kind: 'denied', error, ca };
    }
    case 'AUTH_FAILED':
      return new CaError(EnrollErrorCode.AUTH_FAILED, e.message, false, info);
    case 'ACCESS_DENIED':
      return new CaError(EnrollErrorCode.CA_DENIED, e.message, false, info);
    case 'CONFIG':
    case 'UNSUPPORTED':
      return new CaError(EnrollErrorCode.CONFIG, e.message, false, info);
    case 'CA_UNAVAILABLE':
    case 'TRANSPORT':
    case 'TIMEOUT':
    case 'SMB_STATUS':
    case 'RPC_FAULT':
    case 'PROTOCOL':
    case 'INTEGRITY':
      return new CaError(EnrollErrorCode.CA_UNREACHABLE, e.message, e.retryable, info);
  }
}
