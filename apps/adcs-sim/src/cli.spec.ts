import { ConfigError } from '@enrollgate/platform';
import { parseSimArgs } from './cli.js';

describe(parseSimArgs.name, () => {
  it('applies the documented defaults', () => {
    const sut = parseSimArgs(['--state-dir', '/tmp/s', '--user', 'svc:Passw0rd!']);
    expect(sut).toMatchObject({
      listen: { host: '127.0.0.1', port: 4445 },
      adminListen: { host: '127.0.0.1', port: 4446 },
      domain: 'TEST',
      caName: 'enrollgate-sim-CA',
      caKey: 'rsa2048',
      failFirst: 0,
      faults: [],
    });
    expect(sut.users[0]?.name).toBe('svc');
    expect(sut.users[0]?.password?.reveal()).toBe('Passw0rd!');
  });

  it('accepts passwords containing colons and NT-hash users', () => {
    const sut = parseSimArgs(['--state-dir', 's', '--user', 'a:p:w', '--user', 'b:nt:8846F7EAEE8FB117AD06BDD830B7586C']);
    expect(sut.users[0]?.password?.reveal()).toBe('p:w');
    expect(sut.users[1]?.ntHash?.toString('hex')).toBe('8846f7eaee8fb117ad06bdd830b7586c');
  });

  it('parses faults', () => {
    const sut = parseSimArgs(['--state-dir', 's', '--user', 'a:b', '--fault', 'hang', '--fault', 'delay=2s', '--fault', 'delay=150ms', '--fail-first', '2']);
    expect(sut.faults).toEqual([{ kind: 'hang' }, { kind: 'delay', ms: 2000 }, { kind: 'delay', ms: 150 }]);
    expect(sut.failFirst).toBe(2);
  });

  it('reports every problem at once and never echoes a password', () => {
    try {
      parseSimArgs(['--listen', 'nope', '--user', 'svc:nt:zz', '--fault', 'explode', '--ca-key', 'dsa', '--fail-first', '-1']);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const text = (e as ConfigError).message;
      for (const key of ['--listen', '--state-dir', '--user', '--fault', '--ca-key', '--fail-first']) expect(text).toContain(key);
    }
    let message = '';
    try {
      parseSimArgs(['--state-dir', 's', '--user', 'svc:nt:secretpw']);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('--user');
    expect(message).not.toContain('secretpw');
  });

  it('rejects unknown options', () => {
    expect(() => parseSimArgs(['--bogus'])).toThrow(ConfigError);
  });
});
