import { dnsNameAllowed, requestedValidityDays } from './policy.js';

describe(dnsNameAllowed.name, () => {
  it.each([
    ['a.example.com', ['.example.com'], true],
    ['example.com', ['.example.com'], false],
    ['example.com', ['example.com'], true],
    ['deep.a.example.com', ['example.com'], true],
    ['badexample.com', ['example.com'], false],
    ['A.EXAMPLE.COM.', ['.example.com'], true],
    ['a.example.org', ['.example.com', '.example.net'], false],
  ])('%s against %j → %s', (name, suffixes, expected) => {
    expect(dnsNameAllowed(name, suffixes)).toBe(expected);
  });
});

describe(requestedValidityDays.name, () => {
  const now = new Date('2030-01-31T00:00:00Z');
  it.each([
    ['Days', '30', 30],
    ['days', ' 7 ', 7],
    ['Weeks', '2', 14],
    ['Hours', '12', 0.5],
    ['Months', '1', 31], // Jan 31 + 1 month rolls to Mar 3 in UTC arithmetic: 31 days
    ['Years', '1', 365],
    ['Fortnights', '1', undefined],
    ['Days', '0', undefined],
    ['Days', '-5', undefined],
    ['Days', 'ten', undefined],
  ])('%s × %s → %s days', (period, units, expected) => {
    expect(requestedValidityDays(period, units, now)).toBe(expected);
  });
});
