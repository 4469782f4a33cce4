import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TESTDATA } from '../testing/fixtures.js';
import { iniBoolean, IniParseError, parseIni } from './ini.js';

describe(parseIni.name, () => {
  it("reads acme2certifier's examples/acme_srv.cfg", () => {
    const sut = parseIni(readFileSync(join(TESTDATA, 'a2c', 'examples-acme_srv.cfg'), 'utf8'));
    expect(sut.sectionNames).toEqual(['DEFAULT', 'Nonce', 'CAhandler', 'DBhandler', 'Certificate', 'Challenge', 'Order']);
    expect(sut.options.map((o) => `[${o.section}] ${o.key}=${o.value} @${o.line}`)).toEqual([
      '[DEFAULT] debug=False @2',
      '[Nonce] nonce_check_disable=False @6',
      '[Certificate] revocation_reason_check_disable=False @15',
      '[Challenge] challenge_validation_disable=False @20',
      '[Order] tnauthlist_support=False @23',
    ]);
  });

  it.each([
    ['colon', 'host: ca.example', 'ca.example'],
    ['equals', 'host = ca.example', 'ca.example'],
    ['first delimiter wins', 'url: http://x.example/a=b', 'http://x.example/a=b'],
    ['JSON value', 'allowed_domainlist: ["example.com", "*.example2.com"]', '["example.com", "*.example2.com"]'],
    ['percent is literal (interpolation=None)', 'password: 100%sure', '100%sure'],
    ['empty value', 'ca_bundle:', ''],
    ['an inline ";" is part of the value', 'password: a;b #c', 'a;b #c'],
  ])('%s', (_case, line, value) => {
    expect(parseIni(`[CAhandler]\n${line}\n`).options[0]?.value).toBe(value);
  });

  it('keeps option names case-sensitive (optionxform=str)', () => {
    const sut = parseIni('[Order]\nHeader_Info_List: []\n');
    expect(sut.get('Order', 'header_info_list')).toBeUndefined();
    expect(sut.get('Order', 'Header_Info_List')).toBe('[]');
  });

  it('joins indented continuation lines', () => {
    const sut = parseIni('[Order]\nprofiles: {\n    "a": "x",\n\n    "b": "y"}\nvalidity: 5\n');
    expect(sut.get('Order', 'profiles')).toBe('{\n"a": "x",\n\n"b": "y"}');
    expect(JSON.parse(sut.get('Order', 'profiles') ?? '')).toEqual({ a: 'x', b: 'y' });
    expect(sut.get('Order', 'validity')).toBe('5');
  });

  it.each([
    ['an option before any section', 'host: x\n', 1, 'an option before the first [section] header'],
    ['a duplicate section', '[A]\n[A]\n', 2, 'section [A] appears twice'],
    ['a duplicate option', '[A]\nk: 1\nk: 2\n', 3, 'option "k" appears twice in [A]'],
    ['a line without delimiter', '[A]\njust text\n', 2, 'expected "key: value" or "key = value" in [A]'],
  ])('refuses %s with its line', (_case, text, line, message) => {
    expect(() => parseIni(text)).toThrow(new IniParseError(line, message));
  });
});

describe(iniBoolean.name, () => {
  it.each([
    ['True', true],
    ['yes', true],
    ['ON', true],
    ['1', true],
    ['False', false],
    ['no', false],
    ['off', false],
    ['0', false],
    ['maybe', undefined],
  ])('%s → %s', (v, b) => {
    expect(iniBoolean(v)).toBe(b);
  });
});
