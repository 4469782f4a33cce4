/**
 * No Docker engine runs here, so docker-compose.yml is checked the way the engine would start
 * it: Debian's `docker-compose config` must accept it, every build context and Dockerfile must
 * exist and run as a non-root USER, and each service's environment (and adcs-sim's command line)
 * must pass that app's own configuration validation.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { acmeConfigSchema } from '../../apps/acme-api/src/config.js';
import { parseSimArgs } from '../../apps/adcs-sim/src/cli.js';
import { scepConfigSchema } from '../../apps/scep-api/src/config.js';
import { workerConfigSchema } from '../../apps/wcce-worker/src/config.js';
import { loadConfig } from '@enrollgate/platform';
import { requireTool } from '../support/tools.js';

const root = resolve(import.meta.dirname, '../..');

interface ComposeService {
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  command?: string[];
  secrets?: string[];
}

function composeConfig(): { services: Record<string, ComposeService>; secrets: Record<string, { file: string }> } {
  const out = execFileSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config'], { encoding: 'utf8' });
  return parse(out);
}

/** Compose mounts secrets at /run/secrets/NAME; resolve *_FILE entries to the source files. */
function withSecretFiles(env: Record<string, string>, secrets: Record<string, { file: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const m = /^\/run\/secrets\/(.+)$/.exec(v);
    out[k] = m && k.endsWith('_FILE') ? (secrets[m[1] as string]?.file ?? v) : v;
  }
  return out;
}

const hasCompose = requireTool('docker-compose', ['version'], 'docker-compose', 'compose.spec');
const describeCompose = hasCompose ? describe : describe.skip;

describeCompose('docker-compose.yml', () => {
  const config = hasCompose ? composeConfig() : { services: {}, secrets: {} };

  it('declares Redis (AOF, noeviction), PostgreSQL and the four apps', () => {
    expect(Object.keys(config.services).sort()).toEqual(['acme-api', 'adcs-sim', 'migrate', 'postgres', 'redis', 'scep-api', 'wcce-worker']);
    const redisCommand = (config.services['redis']?.command ?? []).join(' ');
    expect(redisCommand).toContain('--appendonly yes');
    expect(redisCommand).toContain('--maxmemory-policy noeviction');
  });

  it.each(['acme-api', 'scep-api', 'wcce-worker', 'adcs-sim', 'migrate'])('%s builds from an existing multi-stage Dockerfile with a non-root USER', (name) => {
    const build = config.services[name]?.build;
    expect(build).toBeDefined();
    const dockerfile = join(build!.context, build!.dockerfile);
    expect(existsSync(build!.context)).toBe(true);
    const text = readFileSync(dockerfile, 'utf8');
    expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    const users = [...text.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)$/);
  });

  it.each([
    ['acme-api', acmeConfigSchema],
    ['scep-api', scepConfigSchema],
    ['wcce-worker', workerConfigSchema],
  ] as const)("%s's environment passes its configuration schema", (name, schema) => {
    const env = withSecretFiles(config.services[name]?.environment ?? {}, config.secrets);
    expect(() => loadConfig(name, schema, env)).not.toThrow();
  });

  it("adcs-sim's command line passes its argument validation", () => {
    const command = config.services['adcs-sim']?.command ?? [];
    expect(command.slice(0, 2)).toEqual(['node', 'apps/adcs-sim/dist/main.js']);
    const sut = parseSimArgs(command.slice(2));
    expect(sut.listen.port).toBe(4445);
  });

  it("the worker's password secret matches the simulator's account", () => {
    const secretFile = config.secrets['wcce_password']?.file as string;
    const command = (config.services['adcs-sim']?.command ?? []).join(' ');
    expect(command).toContain(`--user=enrollgate:${readFileSync(secretFile, 'utf8').trim()}`);
  });
});
