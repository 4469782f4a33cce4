import { jobIdFor, resultJobIdFor } from './queues.js';

describe(jobIdFor.name, () => {
  it.each([
    ['acme', 'ord_01HZX', 'acme-ord_01HZX'],
    ['scep', 'abc.DEF-123', 'scep-abc.DEF-123'],
  ] as const)('keeps a safe request key readable (%s %s)', (protocol, key, expected) => {
    expect(jobIdFor(protocol, key)).toBe(expected);
  });

  it.each(['CN=dev:4F2A', 'a b', 'x'.repeat(200), '', 'ä'])('never lets %j put a colon or unbounded length in a BullMQ id', (key) => {
    const sut = jobIdFor('scep', key);
    expect(sut).not.toContain(':');
    expect(sut).toMatch(/^scep-h[A-Za-z0-9_-]{43}$/);
  });

  it('is deterministic, so a retried HTTP request maps to the same job', () => {
    expect(jobIdFor('scep', 'CN=dev:1')).toBe(jobIdFor('scep', 'CN=dev:1'));
    expect(jobIdFor('scep', 'CN=dev:1')).not.toBe(jobIdFor('scep', 'CN=dev:2'));
  });
});

describe(resultJobIdFor.name, () => {
  it('derives one id per outcome of a request', () => {
    expect(resultJobIdFor('acme-ord1', 'issued')).toBe('acme-ord1-issued');
    expect(resultJobIdFor('acme-ord1', 'pending')).not.toBe(resultJobIdFor('acme-ord1', 'issued'));
  });
});
