import { storeMigrations } from './migrations/index.js';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli-command.js';

describe(runCli.name, () => {
  let dir: string;
  let out: string[];
  let err: string[];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enrollgate-cli-'));
    out = [];
    err = [];
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('migrates the --url database and says what it applied, then that it is up to date', async () => {
    const url = `sqlite://${dir}/eg.db`;
    expect(await runCli(['migrate', '--url', url], {}, io)).toBe(0);
    const names = Object.keys(storeMigrations('sqlite'));
    expect(out.join('\n')).toBe(`${url}: applied ${names.length} migration(s):\n${names.map((n) => `  ${n}`).join('\n')}`);
    expect(await runCli(['migrate', `--url=${url}`], {}, io)).toBe(0);
    expect(out[1]).toBe(`${url}: already up to date`);
    expect(err).toEqual([]);
  });

  it('takes DATABASE_URL when there is no --url', async () => {
    expect(await runCli(['migrate'], { DATABASE_URL: `sqlite://${dir}/from-env.db` }, io)).toBe(0);
    expect((await stat(join(dir, 'from-env.db'))).isFile()).toBe(true);
  });

  it('takes DATABASE_URL_FILE (a mounted Secret) over DATABASE_URL, and never prints the password', async () => {
    const file = join(dir, 'database-url');
    await writeFile(file, 'postgres://enrollgate:hunter2@127.0.0.1:1/none\n');
    expect(await runCli(['migrate'], { DATABASE_URL_FILE: file, DATABASE_URL: `sqlite://${dir}/ignored.db` }, io)).toBe(1);
    expect(err.join('\n')).toMatch(/migration failed: .*ECONNREFUSED/);
    expect(err.join('\n') + out.join('\n')).not.toContain('hunter2');
    await expect(stat(join(dir, 'ignored.db'))).rejects.toThrow(/ENOENT/);
  });

  it('exits 2 naming DATABASE_URL_FILE when it cannot be read', async () => {
    expect(await runCli(['migrate'], { DATABASE_URL_FILE: join(dir, 'absent') }, io)).toBe(2);
    expect(err.join('\n')).toBe(`enrollgate-store: DATABASE_URL_FILE: cannot read ${join(dir, 'absent')} (ENOENT)`);
  });

  it('defaults to sqlite:.enrollgate/enrollgate.db relative to the working directory', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(await runCli(['migrate'], {}, io)).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    expect((await stat(join(dir, '.enrollgate/enrollgate.db'))).isFile()).toBe(true);
  });

  it('exits 1 with the reason, and no password, when the URL is bad', async () => {
    expect(await runCli(['migrate', '--url', 'mysql://root:hunter2@db/eg'], {}, io)).toBe(1);
    expect(err.join('\n')).toMatch(/^enrollgate-store: migration failed: unsupported database URL mysql:\/\/root:\*\*\*@db\/eg/);
    expect(err.join('\n')).not.toContain('hunter2');
  });

  it('exits 1 when the database cannot be reached', async () => {
    expect(await runCli(['migrate', '--url', 'postgres://postgres@127.0.0.1:1/none'], {}, io)).toBe(1);
    expect(err.join('\n')).toMatch(/migration failed: .*ECONNREFUSED/);
  });

  it.each([[['frobnicate']], [['migrate', '--url']], [['migrate', '--verbose']]])('exits 2 with usage for %j', async (argv) => {
    expect(await runCli(argv, {}, io)).toBe(2);
    expect(err.join('\n')).toContain('usage: enrollgate-store migrate [--url URL]');
  });

  it('prints usage for help', async () => {
    expect(await runCli(['--help'], {}, io)).toBe(0);
    expect(out[0]).toContain('usage:');
  });
});
