import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyConfigFile } from '../config/policy-config.js';
import { parseKeyProfileFile } from '../eab/key-profile.js';
import { Policy } from '../policy.js';
import { csr, seedKeyFileText, TESTDATA } from '../testing/fixtures.js';
import { runImportCli } from './cli.js';
import { parseEnvFile } from './write.js';

const readEnvFile = (path: string): Record<string, string> => parseEnvFile(readFileSync(path, 'utf8'));

/** The keys an app's configuration schema declares (read as text: a lib never imports an app). */
function schemaKeys(app: string): Set<string> {
  const text = readFileSync(join(TESTDATA, '..', '..', '..', 'apps', app, 'src', 'config.ts'), 'utf8');
  return new Set([...text.matchAll(/^\s*([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1] as string));
}

describe(runImportCli.name, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'enrollgate-import-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runImportCli(argv, { stdout: (s) => out.push(s), stderr: (s) => err.push(s), cwd: dir });
    return { code, stdout: out.join(''), stderr: err.join('') };
  };

  it('round-trips the documented acme_srv.cfg into files the services read', async () => {
    const { code, stdout } = run(join(TESTDATA, 'a2c', 'mswcce-documented.cfg'), '--out', 'cfg', '--public-url', 'https://acme.example.com');
    expect(code).toBe(0);
    const out = join(dir, 'cfg');

    // the password: in its own file, mode 0600, referenced by WCCE_PASSWORD_FILE, never printed
    const worker = readEnvFile(join(out, 'wcce-worker.env'));
    expect(worker['WCCE_PASSWORD_FILE']).toBe(join(out, 'wcce-password'));
    expect(readFileSync(join(out, 'wcce-password'), 'utf8')).toBe('S3cr3t-P@ss;word\n');
    expect(statSync(join(out, 'wcce-password')).mode & 0o777).toBe(0o600);
    for (const f of ['wcce-worker.env', 'acme-api.env', 'policy.json', 'import-report.txt']) expect(readFileSync(join(out, f), 'utf8')).not.toContain('S3cr3t');
    expect(stdout).not.toContain('S3cr3t');

    // values survive the env-file quoting
    expect(worker['WCCE_CA_NAME']).toBe('Corp Issuing CA 1,Corp Issuing CA 2');
    expect(JSON.parse(worker['WCCE_ENROLLMENT_CONFIG_LOG_SKIP_LIST'] ?? '')).toEqual(['ca_bundle']);
    const acme = readEnvFile(join(out, 'acme-api.env'));
    expect(acme['ACME_POLICY_FILE']).toBe(join(out, 'policy.json'));
    expect(JSON.parse(readFileSync(join(out, 'policy.json'), 'utf8'))).toHaveProperty('profiles.template2', 'http://foo.bar/template2');
    expect(acme['ACME_PUBLIC_URL']).toBe('https://acme.example.com/foo');

    // every key written is one the app declares (contract with apps/*/src/config.ts)
    const workerKeys = schemaKeys('wcce-worker');
    for (const key of Object.keys(worker)) expect([key, workerKeys.has(key) || workerKeys.has(key.replace(/_FILE$/, ''))]).toEqual([key, true]);
    const acmeKeys = schemaKeys('acme-api');
    for (const key of Object.keys(acme)) expect([key, acmeKeys.has(key)]).toEqual([key, true]);

    // policy.json loads, and with the seed's key file it enforces what acme_srv.cfg said
    const config = loadPolicyConfigFile(join(out, 'policy.json'));
    expect(config.eabKeyFile).toBe('/var/www/acme2certifier/volume/kid_profiles.json');
    const kids = parseKeyProfileFile(seedKeyFileText());
    const policy = new Policy(config, { profile: (k) => kids.profiles.get(k) });
    expect(policy.newOrder({ identifiers: [{ type: 'dns', value: 'x.example.local' }], profile: 'template3' })).toMatchObject({
      decision: 'allow',
      profile: 'template3',
    });
    expect(policy.newOrder({ identifiers: [{ type: 'dns', value: 'x.example.com' }] }).rule).toBe('order.allowed_domainlist');
    const info = await csr('CN=host-01.bar.local', [{ type: 'dns', value: 'host-01.bar.local' }]);
    const noKid = policy.enrollment({ protocol: 'acme', csr: info, headers: { 'user-agent': 'acme.sh/3.0 template=User' } });
    expect(noKid.rule).toBe('template.eab_header_not_allowed'); // eab_profiling on, no kid: acme2certifier refuses a header template

    // the report lists what could not be mapped, in the file and on stdout
    const report = readFileSync(join(out, 'import-report.txt'), 'utf8');
    expect(report).toContain('Not mapped (5):');
    expect(report).toContain('[CAhandler] domain_controller (line 28)');
    expect(stdout).toContain(report);
  });

  it('narrows an existing password file before writing into it', () => {
    const cfg = join(dir, 'a.cfg');
    writeFileSync(cfg, '[CAhandler]\npassword: pw\n');
    writeFileSync(join(dir, 'wcce-password'), 'old', { mode: 0o644 });
    expect(run(cfg, '--out', '.').code).toBe(0);
    expect(statSync(join(dir, 'wcce-password')).mode & 0o777).toBe(0o600);
  });

  it.each([
    [[], 2, /usage: enrollgate-import-a2c/],
    [['a.cfg', 'b.cfg'], 2, /usage/],
    [['a.cfg', '--bogus'], 2, /Unknown option '--bogus'/],
    [['a.cfg', '--public-url', 'https://acme.example.com/path'], 2, /expected an origin/],
    [['missing.cfg'], 1, /cannot read missing\.cfg \(ENOENT\)/],
  ])('exits %#: %j → %i', (argv, code, message) => {
    const result = run(...(argv as string[]));
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it('names the line of a file it cannot parse', () => {
    writeFileSync(join(dir, 'bad.cfg'), '[Order]\nvalidity: 1\nvalidity: 2\n');
    const result = run('bad.cfg');
    expect(result).toMatchObject({ code: 1, stderr: 'bad.cfg: line 3: option "validity" appears twice in [Order]\n' });
  });
});
