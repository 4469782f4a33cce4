import type { StoredProblem } from '@enrollgate/store';

/** An identifier as named in a subproblem (may be of a type the server does not support). */
export interface ProblemIdentifier {
  type: string;
  value: string;
}

/**
 * ACME error types (RFC 8555 §6.7, plus invalidProfile from draft-ietf-acme-profiles and
 * alreadyReplaced from RFC 9773 §5). The HTTP status of each is decided in one exhaustive switch.
 */
export const PROBLEM_TYPES = [
  'accountDoesNotExist',
  'alreadyReplaced',
  'alreadyRevoked',
  'badCSR',
  'badNonce',
  'badPublicKey',
  'badRevocationReason',
  'badSignatureAlgorithm',
  'caa',
  'compound',
  'connection',
  'dns',
  'externalAccountRequired',
  'incorrectResponse',
  'invalidContact',
  'invalidProfile',
  'malformed',
  'orderNotReady',
  'rateLimited',
  'rejectedIdentifier',
  'serverInternal',
  'tls',
  'unauthorized',
  'unsupportedContact',
  'unsupportedIdentifier',
  'userActionRequired',
] as const;
export type ProblemType = (typeof PROBLEM_TYPES)[number];

export const PROBLEM_NS = 'urn:ietf:params:acme:error:';

export interface Subproblem {
  type: ProblemType;
  detail: string;
  identifier?: ProblemIdentifier;
}

/** Default HTTP status of each type (a problem may override, e.g. 404 malformed, 409 key conflict). */
export function statusOf(type: ProblemType): number {
  switch (type) {
    case 'badNonce':
    case 'badCSR':
    case 'badPublicKey':
    case 'badRevocationReason':
    case 'badSignatureAlgorithm':
    case 'malformed':
    case 'invalidContact':
    case 'unsupportedContact':
    case 'invalidProfile':
    case 'unsupportedIdentifier':
    case 'rejectedIdentifier':
    case 'accountDoesNotExist':
    case 'externalAccountRequired':
    case 'compound':
    case 'alreadyRevoked':
      return 400;
    case 'unauthorized':
    case 'orderNotReady':
    case 'userActionRequired':
    case 'caa':
    case 'incorrectResponse':
    case 'connection':
    case 'dns':
    case 'tls':
      return 403;
    case 'alreadyReplaced':
      return 409;
    case 'rateLimited':
      return 429;
    case 'serverInternal':
      return 500;
  }
}

/** An ACME error answered as an RFC 7807 problem document by the exception filter. */
export class AcmeProblem extends Error {
  readonly status: number;

  constructor(
    readonly type: ProblemType,
    readonly detail: string,
    options: { status?: number; subproblems?: Subproblem[]; headers?: Record<string, string>; algorithms?: string[] } = {},
  ) {
    super(`${type}: ${detail}`);
    this.name = 'AcmeProblem';
    this.status = options.status ?? statusOf(type);
    this.subproblems = options.subproblems;
    this.headers = options.headers ?? {};
    this.algorithms = options.algorithms;
  }

  readonly subproblems: Subproblem[] | undefined;
  readonly headers: Record<string, string>;
  /** badSignatureAlgorithm: the algorithms the server accepts (RFC 8555 §6.2). */
  readonly algorithms: string[] | undefined;

  /** The problem document (RFC 8555 §6.7). */
  toDocument(): ProblemDocument {
    return {
      type: PROBLEM_NS + this.type,
      detail: this.detail,
      status: this.status,
      ...(this.subproblems ? { subproblems: this.subproblems.map((s) => ({ ...s, type: PROBLEM_NS + s.type })) } : {}),
      ...(this.algorithms ? { algorithms: this.algorithms } : {}),
    };
  }

  toStored(): StoredProblem {
    const doc = this.toDocument();
    return { type: doc.type, detail: doc.detail, status: doc.status, ...(doc.subproblems ? { subproblems: doc.subproblems } : {}) };
  }

  /**
   * One problem for several identifier problems (RFC 8555 §6.7.1): the shared type when all
   * agree, else `compound`.
   */
  static forIdentifiers(detail: string, subproblems: Subproblem[]): AcmeProblem {
    const types = new Set(subproblems.map((s) => s.type));
    const [only] = types;
    return new AcmeProblem(types.size === 1 && only ? only : 'compound', detail, { subproblems });
  }
}

export interface ProblemDocument {
  type: string;
  detail: string;
  status: number;
  subproblems?: { type: string; detail: string; identifier?: ProblemIdentifier }[];
  algorithms?: string[];
}

export const malformed = (detail: string, status?: number) => new AcmeProblem('malformed', detail, status ? { status } : {});
export const notFound = (what: string) => new AcmeProblem('malformed', `${what} not found`, { status: 404 });
export const unauthorized = (detail: string) => new AcmeProblem('unauthorized', detail);
