/**
 * Queue names shared by producers (acme-api, scep-api) and the consumer (wcce-worker).
 * One place, so the two sides cannot drift. BullMQ forbids ':' in job ids (it is Redis' key
 * separator), so job ids are derived by jobIdFor() below, never taken raw from a client.
 */
import { createHash } from 'node:crypto';
import type { EnrollProtocol } from './enroll.js';

export const QUEUE_ENROLL = 'enroll';
/** One results queue per front-end protocol; the owning front-end consumes and persists it. */
export const RESULTS_QUEUE: Record<EnrollProtocol, string> = {
  acme: 'results-acme',
  scep: 'results-scep',
};

/** Delayed retrieve calls for requests the CA left pending (disposition 5). */
export const QUEUE_PENDING = 'enroll-pending';

export const JOB_ENROLL = 'enroll';
export const JOB_RETRIEVE = 'retrieve';
export const JOB_RESULT = 'result';

const JOB_ID_SAFE = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Job id for an enrollment request. `requestKey` is the ACME order id or the SCEP
 * (requester scope, transactionID) pair joined by the caller. Request keys made only of safe
 * characters pass through (readable in Redis); anything else is hashed, so a client-chosen
 * SCEP transactionID can never smuggle ':' or unbounded length into a Redis key.
 */
export function jobIdFor(protocol: EnrollProtocol, requestKey: string): string {
  if (JOB_ID_SAFE.test(requestKey)) return `${protocol}-${requestKey}`;
  return `${protocol}-h${createHash('sha256').update(requestKey, 'utf8').digest('base64url')}`;
}

/** Result job id: one per request and outcome kind, so a re-run worker cannot enqueue twice. */
export function resultJobIdFor(enrollJobId: string, outcome: string, attempt = 0): string {
  return `${enrollJobId}-${outcome}${attempt ? `-${attempt}` : ''}`;
}
