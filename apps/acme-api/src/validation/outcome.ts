import type { ProblemType } from '../acme/problems.js';

/** What one validation attempt found. A transient failure is retried by the queue before it counts. */
export type ValidationOutcome = { ok: true } | { ok: false; type: ProblemType; detail: string; transient: boolean };

export const passed: ValidationOutcome = { ok: true };

export function failed(type: ProblemType, detail: string, transient = false): ValidationOutcome {
  return { ok: false, type, detail, transient };
}

/** Maps a socket error to connection (transient) or tls; timeouts are transient. */
export function networkFailure(what: string, e: unknown): ValidationOutcome {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code ?? '';
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /ssl|tls/i.test(err?.message ?? '')) return failed('tls', `${what}: ${err.message}`, false);
  return failed('connection', `${what}: ${err?.message ?? String(e)}`, true);
}

export interface ChallengeTarget {
  /** The identifier as authorized (wildcard base domain). */
  type: 'dns' | 'ip';
  value: string;
  token: string;
  keyAuthorization: string;
}

export interface ChallengeValidator {
  readonly type: string;
  validate(target: ChallengeTarget): Promise<ValidationOutcome>;
}
