import { EnrollErrorCode } from '@enrollgate/contracts';
import { scep } from '@enrollgate/pki';
import type { Enrollment } from '@enrollgate/store';
import { failInfoForEnrollError, outcomeForEnrollment } from './outcome.js';

const enrollment = (patch: Partial<Enrollment>): Enrollment => ({
  id: '1',
  protocol: 'scep',
  requestKey: 'k',
  jobId: 'j',
  status: 'queued',
  template: 'T',
  caPool: null,
  csr: '',
  requester: { protocol: 'scep', subject: 's' },
  attributes: null,
  certificate: null,
  chain: null,
  ca: null,
  error: null,
  attempts: 0,
  createdAt: '',
  updatedAt: '',
  completedAt: null,
  ...patch,
});

describe(failInfoForEnrollError.name, () => {
  it.each(Object.values(EnrollErrorCode))('%s maps to a failInfo', (code) => {
    expect(Object.values(scep.FailInfo)).toContain(failInfoForEnrollError(code));
  });
});

describe(outcomeForEnrollment.name, () => {
  it.each([
    ['no enrollment yet', undefined, 'PENDING'],
    ['queued', enrollment({ status: 'queued' }), 'PENDING'],
    ['pending at the CA', enrollment({ status: 'pending' }), 'PENDING'],
    ['denied', enrollment({ status: 'denied', error: { code: 'CA_DENIED', message: 'Denied by Policy Module' } }), 'FAILURE'],
    ['failed', enrollment({ status: 'failed', error: { code: 'CA_UNREACHABLE', message: 'timeout' } }), 'FAILURE'],
  ])('%s → %s', (_n, e, status) => {
    expect(outcomeForEnrollment(e).status).toBe(status);
  });

  it('a denial carries the CA message in failInfoText', () => {
    const sut = outcomeForEnrollment(enrollment({ status: 'denied', error: { code: 'CA_DENIED', message: 'Denied by Policy Module' } }));
    expect(sut).toEqual({ status: 'FAILURE', failInfo: scep.FailInfo.badRequest, failInfoText: 'the CA denied the request: Denied by Policy Module' });
  });
});
