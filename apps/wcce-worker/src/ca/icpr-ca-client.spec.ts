import { CaError } from './ca-client.js';
import { targetsOf, type IcprCaTarget } from './icpr-ca-client.js';

describe(targetsOf.name, () => {
  // acme2certifier pairs `host` and `ca_name` by index: two hosts of CA1, one of CA2.
  const targets: IcprCaTarget[] = [
    { host: 'ca1a.corp.example', caName: 'Corp-CA1' },
    { host: 'ca1b.corp.example', caName: 'Corp-CA1' },
    { host: 'ca2.corp.example', caName: 'Corp-CA2' },
  ];

  it('keeps every target when the job names no CA', () => {
    expect(targetsOf('default', targets, undefined)).toEqual(targets);
  });

  it.each([
    ['Corp-CA1', ['ca1a.corp.example', 'ca1b.corp.example']],
    ['corp-ca2', ['ca2.corp.example']],
  ])('keeps only the hosts of CA %s (they still fail over to each other)', (caName, hosts) => {
    expect(targetsOf('default', targets, caName).map((t) => t.host)).toEqual(hosts);
  });

  it('refuses a CA the pool does not have: permanent CONFIG, not another CA', () => {
    let error: unknown;
    try {
      targetsOf('default', targets, 'Corp-CA3');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CaError);
    expect(error).toMatchObject({ code: 'CONFIG', retryable: false, message: 'CA pool "default" has no CA named "Corp-CA3"' });
  });
});
