import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { z } from 'zod';
import { ConfigError, booleanString, listenAddress, loadConfig, positiveInt, secret, urlString } from './load.js';
import { Secret } from './secret.js';

const schema = z.object({
  REDIS_URL: urlString(['redis', 'rediss']),
  ACME_LISTEN: listenAddress('127.0.0.1:4000'),
  WCCE_PASSWORD: secret(),
  WCCE_TIMEOUT: positiveInt(5),
  USE_KERBEROS: booleanString(false),
});

describe(loadConfig.name, () => {
  it('returns a typed object with defaults applied', () => {
    const sut = loadConfig('t', schema, { REDIS_URL: 'redis://127.0.0.1:6379', WCCE_PASSWORD: 'Passw0rd!' });
    expect(sut.ACME_LISTEN).toEqual({ host: '127.0.0.1', port: 4000 });
    expect(sut.WCCE_TIMEOUT).toBe(5);
    expect(sut.USE_KERBEROS).toBe(false);
    expect(sut.WCCE_PASSWORD.reveal()).toBe('Passw0rd!');
  });

  it('names every bad or missing key and what it expects', () => {
    try {
      loadConfig('acme-api', schema, { REDIS_URL: 'http://x', ACME_LISTEN: 'nope', WCCE_TIMEOUT: '-3', USE_KERBEROS: 'maybe' });
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const text = (e as ConfigError).message;
      expect(text).toContain('REDIS_URL: expected a URL (redis://, rediss://)');
      expect(text).toContain('ACME_LISTEN: expected HOST:PORT');
      expect(text).toMatch(/WCCE_PASSWORD: missing/);
      expect(text).toContain('WCCE_TIMEOUT: expected > 0');
      expect(text).toContain('USE_KERBEROS: expected true or false');
    }
  });

  it('parses bracketed IPv6 listen addresses', () => {
    const sut = loadConfig('t', schema, { REDIS_URL: 'redis://h', WCCE_PASSWORD: 'x', ACME_LISTEN: '[::1]:0' });
    expect(sut.ACME_LISTEN).toEqual({ host: '::1', port: 0 });
  });

  it('reads KEY_FILE (a mounted Kubernetes secret) in preference to KEY', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eg-cfg-'));
    try {
      writeFileSync(join(dir, 'pw'), 'from-file\n');
      const sut = loadConfig('t', schema, { REDIS_URL: 'redis://h', WCCE_PASSWORD: 'from-env', WCCE_PASSWORD_FILE: join(dir, 'pw') });
      expect(sut.WCCE_PASSWORD.reveal()).toBe('from-file');
      expect(() => loadConfig('t', schema, { REDIS_URL: 'redis://h', WCCE_PASSWORD_FILE: join(dir, 'missing') })).toThrow(
        /WCCE_PASSWORD_FILE: cannot read .*ENOENT/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe(Secret.name, () => {
  it('never prints its value through JSON, String or inspect', () => {
    const sut = new Secret('hunter2');
    const cfg = { user: 'svc', password: sut };
    expect(JSON.stringify(cfg)).not.toContain('hunter2');
    expect(String(sut)).not.toContain('hunter2');
    expect(inspect(cfg)).not.toContain('hunter2');
    expect(`${sut}`).toBe('[redacted]');
  });
});
