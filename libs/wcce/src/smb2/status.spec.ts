import { AUTH_FAILURE_STATUSES, NtStatus, isErrorStatus, statusName } from './status.js';

describe(statusName.name, () => {
  it.each([
    [NtStatus.LOGON_FAILURE, 'STATUS_LOGON_FAILURE (0xC000006D)'],
    [NtStatus.OBJECT_NAME_NOT_FOUND, 'STATUS_OBJECT_NAME_NOT_FOUND (0xC0000034)'],
    [NtStatus.BUFFER_OVERFLOW, 'STATUS_BUFFER_OVERFLOW (0x80000005)'],
    [0xc0001234, '0xC0001234'],
  ])('names 0x%s', (status, name) => {
    expect(statusName(status)).toBe(name);
  });

  it('classifies severities and logon failures', () => {
    expect(isErrorStatus(NtStatus.ACCESS_DENIED)).toBe(true);
    expect(isErrorStatus(NtStatus.BUFFER_OVERFLOW)).toBe(false);
    expect(isErrorStatus(NtStatus.PENDING)).toBe(false);
    expect(AUTH_FAILURE_STATUSES.has(NtStatus.LOGON_FAILURE)).toBe(true);
    expect(AUTH_FAILURE_STATUSES.has(NtStatus.ACCESS_DENIED)).toBe(false);
  });
});
