import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyLogger } from '../logging.js';
import { seedKeyFileText } from '../testing/fixtures.js';
import type { KeyProfileSet } from './key-profile.js';
import { KeyProfileStore } from './key-profile-store.js';

/**
 * A Kubernetes ConfigMap/Secret volume as kubelet's AtomicWriter maintains it:
 *   kid_profiles.json -> ..data/kid_profiles.json
 *   ..data -> ..<timestamp>/            (the only thing an update changes, by rename)
 */
class ConfigMapVolume {
  readonly dir = mkdtempSync(join(tmpdir(), 'enrollgate-eab-'));
  private generation = 0;
  private current: string | undefined;

  constructor(content: string) {
    this.update(content);
    symlinkSync(join('..data', 'kid_profiles.json'), join(this.dir, 'kid_profiles.json'));
  }

  get file(): string {
    return join(this.dir, 'kid_profiles.json');
  }

  /** kubelet: write ..<ts>/, point ..data_tmp at it, rename ..data_tmp over ..data, remove the old ..<ts>/ */
  update(content: string): void {
    const ts = `..2026_01_01_00_00_0${this.generation++}.000000001`;
    mkdirSync(join(this.dir, ts));
    writeFileSync(join(this.dir, ts, 'kid_profiles.json'), content);
    symlinkSync(ts, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.current) rmSync(join(this.dir, this.current), { recursive: true });
    this.current = ts;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const quietLogger = (): PolicyLogger & { lines: string[] } => {
  const lines: string[] = [];
  const log = (fields: object, message: string) => lines.push(`${message} ${JSON.stringify(fields)}`);
  return { lines, info: log, warn: log, error: log };
};

function next<T>(register: (resolve: (v: T) => void) => void, what: string, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    register((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

describe(KeyProfileStore.name, () => {
  let volume: ConfigMapVolume;
  let sut: KeyProfileStore | undefined;

  afterEach(() => {
    sut?.close();
    sut = undefined;
    volume?.remove();
  });

  it('loads the seed key file through the ConfigMap symlinks', () => {
    volume = new ConfigMapVolume(seedKeyFileText());
    sut = KeyProfileStore.load(volume.file);
    expect([...sut.current.profiles.keys()]).toEqual(['keyid_00', 'keyid_01', 'keyid_02', 'keyid_03']);
    expect(sut.macKey('keyid_03')?.length).toBe(75);
  });

  it('follows a ..data symlink swap, keeps the last good version when the new one does not parse, and recovers', async () => {
    volume = new ConfigMapVolume(seedKeyFileText());
    const logger = quietLogger();
    let onReload: ((s: KeyProfileSet) => void) | undefined;
    let onError: ((e: Error) => void) | undefined;
    sut = KeyProfileStore.load(volume.file, {
      logger,
      debounceMs: 20,
      pollIntervalMs: 0,
      onReload: (s) => onReload?.(s),
      onError: (e) => onError?.(e),
    }).watch();
    const firstVersion = sut.current.version;

    // 1. a new kid and a changed template: picked up without a restart
    const seed = JSON.parse(seedKeyFileText()) as Record<string, { hmac: string; cahandler?: Record<string, unknown> }>;
    seed['keyid_01'] = { hmac: seed['keyid_01']!.hmac, cahandler: { template: 'User' } };
    seed['keyid_04'] = { hmac: 'bmV3X2tleQ' };
    const reloaded = next<KeyProfileSet>((r) => (onReload = r), 'reload');
    volume.update(JSON.stringify(seed));
    const set = await reloaded;
    expect(set.profiles.get('keyid_01')?.template).toBe('User');
    expect(sut.profile('keyid_04')?.macKey?.bytes().toString()).toBe('new_key');
    expect(sut.current.version).not.toBe(firstVersion);

    // 2. a broken update: reported, and the previous profiles stay in force
    const failed = next<Error>((r) => (onError = r), 'error');
    volume.update('{"keyid_00": {"hmac": "c2VjcmV0" ');
    const error = await failed;
    expect(error.message).toMatch(/not valid JSON/);
    expect(error.message).not.toContain('c2VjcmV0');
    expect(sut.lastError).toBe(error);
    expect(sut.profile('keyid_01')?.template).toBe('User');
    expect(sut.profile('keyid_04')).toBeDefined();
    expect(logger.lines.some((l) => l.startsWith('EAB key file not reloaded; the previous version stays in force'))).toBe(true);

    // 3. fixed again
    const recovered = next<KeyProfileSet>((r) => (onReload = r), 'reload');
    volume.update(seedKeyFileText());
    await recovered;
    expect(sut.lastError).toBeUndefined();
    expect(sut.profile('keyid_04')).toBeUndefined();
    expect(sut.profile('keyid_01')?.template).toBe('WebServerModified');
    expect(logger.lines.join('\n')).not.toMatch(/example_hmac_value|bmV3X2tleQ/);
  });

  it('sees an in-place write of a plain file too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enrollgate-eab-'));
    try {
      const file = join(dir, 'keys.json');
      writeFileSync(file, '{"a": "YWJj"}');
      let onReload: ((s: KeyProfileSet) => void) | undefined;
      sut = KeyProfileStore.load(file, { debounceMs: 20, pollIntervalMs: 0, onReload: (s) => onReload?.(s) }).watch();
      const reloaded = next<KeyProfileSet>((r) => (onReload = r), 'reload');
      writeFileSync(file, '{"a": "YWJj", "b": "ZGVm"}');
      expect([...(await reloaded).profiles.keys()]).toEqual(['a', 'b']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('re-reads on demand and reports an unchanged file as such', () => {
    volume = new ConfigMapVolume(seedKeyFileText());
    sut = KeyProfileStore.load(volume.file);
    expect(sut.reload()).toEqual({ status: 'unchanged', version: sut.current.version });
  });

  it('fails loudly at start-up when the file is missing', () => {
    expect(() => KeyProfileStore.load('/nonexistent/kid_profiles.json')).toThrow('cannot read /nonexistent/kid_profiles.json (ENOENT)');
  });
});
