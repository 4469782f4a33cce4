import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PolicyLogger } from '../logging.js';
import { KeyProfileFileError, parseKeyProfileFile, type KeyProfileSet, type KidProfile } from './key-profile.js';
import type { MacKey } from './mac-key.js';

/** What the policy needs from wherever key profiles come from. */
export interface KidProfileSource {
  profile(kid: string): KidProfile | undefined;
}

export interface KeyProfileStoreOptions {
  logger?: PolicyLogger;
  /** after every load that changed the profiles */
  onReload?: (set: KeyProfileSet) => void;
  /** after every failed re-read (the previous profiles stay in force) */
  onError?: (error: Error) => void;
  /** coalesce bursts of file events (a ConfigMap update is several renames), ms; default 100 */
  debounceMs?: number;
  /** re-read on a timer too, for file systems where fs.watch misses events (NFS, some overlays); 0 = off; default 30000 */
  pollIntervalMs?: number;
}

export type ReloadOutcome =
  | { status: 'reloaded'; version: string; kids: number; warnings: readonly string[] }
  | { status: 'unchanged'; version: string }
  | { status: 'failed'; version: string; error: Error };

/**
 * The EAB key-profile file, kept current without a restart.
 *
 * Kubernetes mounts a ConfigMap or Secret as a directory where `kid_profiles.json` is a symlink
 * into `..data/`, and `..data` is itself a symlink to a timestamped directory; an update writes
 * a new directory and renames a fresh `..data` symlink over the old one (atomic). Watching the
 * file would follow the old inode forever, so the directory is watched and the path re-read on
 * any event there; an editor's write-and-rename and an in-place write land there too. A file
 * that does not parse is reported and the last good profiles stay in force.
 */
export class KeyProfileStore implements KidProfileSource {
  readonly path: string;
  #current: KeyProfileSet;
  #lastError: Error | undefined;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  readonly #options: KeyProfileStoreOptions;

  private constructor(path: string, initial: KeyProfileSet, options: KeyProfileStoreOptions) {
    this.path = path;
    this.#current = initial;
    this.#options = options;
  }

  /** Reads the file once; throws KeyProfileFileError when it is missing or unusable (start-up must fail loudly). */
  static load(path: string, options: KeyProfileStoreOptions = {}): KeyProfileStore {
    const full = resolve(path);
    const set = KeyProfileStore.read(full);
    const store = new KeyProfileStore(full, set, options);
    store.#announce(set);
    return store;
  }

  private static read(path: string): KeyProfileSet {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new KeyProfileFileError(`cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      return parseKeyProfileFile(text);
    } catch (e) {
      throw e instanceof KeyProfileFileError ? new KeyProfileFileError(`${path}: ${e.message}`) : e;
    }
  }

  get current(): KeyProfileSet {
    return this.#current;
  }

  /** The error of the last re-read, cleared by the next good one. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  profile(kid: string): KidProfile | undefined {
    return this.#current.profiles.get(kid);
  }

  macKey(kid: string): MacKey | undefined {
    return this.#current.profiles.get(kid)?.macKey;
  }

  /**
   * The MAC keys as a live `ReadonlyMap<kid, Buffer>` (what acme-api's EAB check takes): every
   * lookup reads the current version, so a reload needs no re-wiring. Kids without a key are absent.
   */
  macKeyMap(): ReadonlyMap<string, Buffer> {
    return new LiveMacKeyMap(() => this.#current);
  }

  /** Re-reads the file now. */
  reload(): ReloadOutcome {
    let set: KeyProfileSet;
    try {
      set = KeyProfileStore.read(this.path);
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.#lastError = error;
      this.#options.logger?.error(
        { file: this.path, version: this.#current.version, err: error.message },
        'EAB key file not reloaded; the previous version stays in force',
      );
      this.#options.onError?.(error);
      return { status: 'failed', version: this.#current.version, error };
    }
    this.#lastError = undefined;
    if (set.version === this.#current.version) return { status: 'unchanged', version: set.version };
    this.#current = set;
    this.#announce(set);
    this.#options.onReload?.(set);
    return { status: 'reloaded', version: set.version, kids: set.profiles.size, warnings: set.warnings };
  }

  /** Starts watching the file's directory (and the poll timer). Idempotent. */
  watch(): this {
    if (this.#watcher) return this;
    const dir = dirname(this.path);
    // Any event in the directory: `..data` / `..data_tmp` (kubelet), the file itself, an editor's
    // temporary file. A re-read that finds the same content is a no-op (version compare).
    this.#watcher = watch(dir, { persistent: false }, () => this.#schedule());
    this.#watcher.on('error', (err) => {
      this.#options.logger?.warn({ dir, err: err.message }, 'EAB key file directory watch failed; relying on periodic re-reads');
      this.#watcher?.close();
      this.#watcher = undefined;
    });
    const poll = this.#options.pollIntervalMs ?? 30000;
    if (poll > 0) {
      this.#timer = setInterval(() => this.reload(), poll);
      this.#timer.unref();
    }
    return this;
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#timer = this.#debounce = undefined;
  }

  #schedule(): void {
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.reload();
    }, this.#options.debounceMs ?? 100);
    this.#debounce.unref();
  }

  #announce(set: KeyProfileSet): void {
    const log = this.#options.logger;
    if (!log) return;
    const withKey = [...set.profiles.values()].filter((p) => p.macKey !== undefined).length;
    log.info({ file: this.path, version: set.version, kids: set.profiles.size, kidsWithKey: withKey }, 'EAB key file loaded');
    for (const warning of set.warnings) log.warn({ file: this.path, version: set.version }, `EAB key file: ${warning}`);
  }
}

class LiveMacKeyMap implements ReadonlyMap<string, Buffer> {
  constructor(private readonly current: () => KeyProfileSet) {}

  private *pairs(): MapIterator<[string, Buffer]> {
    for (const [kid, p] of this.current().profiles) if (p.macKey) yield [kid, p.macKey.bytes()];
  }

  get(kid: string): Buffer | undefined {
    return this.current().profiles.get(kid)?.macKey?.bytes();
  }

  has(kid: string): boolean {
    return this.current().profiles.get(kid)?.macKey !== undefined;
  }

  get size(): number {
    return [...this.pairs()].length;
  }

  forEach(callback: (value: Buffer, key: string, map: ReadonlyMap<string, Buffer>) => void): void {
    for (const [kid, key] of this.pairs()) callback(key, kid, this);
  }

  entries(): MapIterator<[string, Buffer]> {
    return this.pairs();
  }

  *keys(): MapIterator<string> {
    for (const [kid] of this.pairs()) yield kid;
  }

  *values(): MapIterator<Buffer> {
    for (const [, key] of this.pairs()) yield key;
  }

  [Symbol.iterator](): MapIterator<[string, Buffer]> {
    return this.pairs();
  }
}
