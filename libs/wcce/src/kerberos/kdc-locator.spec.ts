import { locateKdcs, parseKdcAddress } from './kdc-locator.js';

describe(parseKdcAddress.name, () => {
  it.each([
    ['dc1.test.local', { host: 'dc1.test.local' }],
    ['10.0.0.5:88', { host: '10.0.0.5', port: 88 }],
    ['127.0.0.1:36009', { host: '127.0.0.1', port: 36009 }],
    ['[fd00::5]:8888', { host: 'fd00::5', port: 8888 }],
  ])('%s', (text, expected) => {
    expect(parseKdcAddress(text)).toEqual(expected);
  });

  it.each(['', 'host:99999', 'a b'])('refuses "%s" with CONFIG', (text) => {
    expect(() => parseKdcAddress(text)).toThrow(expect.objectContaining({ code: 'CONFIG' }) as Error);
  });
});

describe(locateKdcs.name, () => {
  it('uses configured domain controllers in order, without DNS', async () => {
    await expect(locateKdcs('TEST.LOCAL', { domainControllers: ['dc2.test.local', 'dc1.test.local:1088'] })).resolves.toEqual([
      { host: 'dc2.test.local' },
      { host: 'dc1.test.local', port: 1088 },
    ]);
  });

  it('without domain controllers and an unreachable DNS server: CONFIG naming the SRV record', async () => {
    // 127.0.0.1:9 (discard) answers nothing: the lookup times out quickly.
    await expect(locateKdcs('TEST.LOCAL', { dnsServer: '127.0.0.1:9', timeoutMs: 200 })).rejects.toMatchObject({
      code: 'CONFIG',
      message: expect.stringMatching(/_kerberos\._tcp\.test\.local/),
    });
  });
});
