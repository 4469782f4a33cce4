import type { EnrollmentsTable } from './schema.js';
import { isFinalStatus, resultKeyOf, transitionFor } from './enrollment.js';
import { aDeniedResult, aFailedResult, anIssuedResult, aPendingResult } from './testing/fixtures.js';

const NOW = '2025-01-02T04:00:00.000Z';
const state = (status: EnrollmentsTable['status'], attempts = 1) => ({ status, attempts });

describe(resultKeyOf.name, () => {
  it.each([
    [anIssuedResult(), 'acme|ord_01HZX|issued|4000000123'],
    [aPendingResult({ protocol: 'scep', requestKey: 'CN=dev|tx1' }), 'scep|CN=dev|tx1|pending|4000000123'],
    [aDeniedResult({ ca: undefined }), 'acme|ord_01HZX|denied|'],
    [aFailedResult(), 'acme|ord_01HZX|failed|'],
  ])('keys %j as %s', (result, expected) => {
    expect(resultKeyOf(result)).toBe(expected);
  });

  it('gives each CA request of one enrollment its own key (a retried poll is the same key)', () => {
    const first = aPendingResult();
    const other = aPendingResult({ ca: { ...first.ca, caRequestId: 7 } });
    expect(resultKeyOf(first)).toBe(resultKeyOf(aPendingResult()));
    expect(resultKeyOf(first)).not.toBe(resultKeyOf(other));
  });
});

describe(transitionFor.name, () => {
  it.each(['issued', 'denied', 'failed'] as const)('never changes a final %s enrollment', (status) => {
    for (const result of [anIssuedResult(), aPendingResult(), aDeniedResult(), aFailedResult()]) {
      expect(transitionFor(state(status), result, NOW)).toBeUndefined();
    }
  });

  it('moves queued to pending with the CA that holds the request', () => {
    expect(transitionFor(state('queued', 0), aPendingResult(), NOW)).toEqual({
      status: 'pending',
      attempts: 1,
      updated_at: NOW,
      ca_request_id: 4_000_000_123,
      ca_host: 'ca1.corp.example',
      ca_name: 'Corp Issuing CA',
    });
  });

  it('does not move pending to pending again', () => {
    expect(transitionFor(state('pending'), aPendingResult({ ca: { caRequestId: 9, host: 'h', caName: 'n' } }), NOW)).toBeUndefined();
  });

  it.each(['queued', 'pending'] as const)('issues from %s, adding the attempts and the chain', (status) => {
    expect(transitionFor(state(status, 2), anIssuedResult({ attempts: 3 }), NOW)).toMatchObject({
      status: 'issued',
      attempts: 5,
      certificate: 'MIIDleafDER',
      chain: '["MIIDissuer","MIIDroot"]',
      error_code: null,
      completed_at: '2025-01-02T03:10:00.000Z',
    });
  });

  it('records the CA reason of a denial', () => {
    expect(transitionFor(state('queued'), aDeniedResult(), NOW)).toMatchObject({
      status: 'denied',
      error_code: 'CA_DENIED',
      error_status: '0x80094800',
      ca_host: 'ca1.corp.example',
    });
  });

  it('records the last error of a failure', () => {
    expect(transitionFor(state('pending'), aFailedResult(), NOW)).toMatchObject({ status: 'failed', error_code: 'CA_UNREACHABLE', error_status: null });
  });
});

describe(isFinalStatus.name, () => {
  it.each([
    ['queued', false],
    ['pending', false],
    ['issued', true],
    ['denied', true],
    ['failed', true],
  ] as const)('%s → %s', (status, expected) => {
    expect(isFinalStatus(status)).toBe(expected);
  });
});
