/**
 * The simulated CA database: every request with its status, kept in the state directory so a
 * restart keeps pending requests. Layout: `requests.json` is a snapshot replaced atomically
 * (write to a temp file, fsync, rename); each change after it is one appended line in
 * `requests.journal`. Loading replays the journal over the snapshot (a torn last line from a crash
 * is ignored) and compacts. This keeps a long benchmark from rewriting every certificate on every
 * request while no state is ever half-written.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';

export type RequestStatus = 'pending' | 'issued' | 'denied';

export interface RequestRecord {
  requestId: number;
  status: RequestStatus;
  requester: string;
  /** template name as resolved (absent when the request named none) */
  template?: string;
  /** the attribute text as received */
  attributes: string;
  /** base64 DER PKCS#10 as received */
  csr: string;
  submittedAt: string;
  resolvedAt?: string;
  /** base64 DER certificate when issued */
  certificate?: string;
  serialNumber?: string;
  subject?: string;
  /** failure HRESULT (unsigned) when denied */
  hresult?: number;
  /** disposition message of the last transition */
  message: string;
  /** validity decided at submission, used when a pending request is approved */
  validityDays?: number;
}

interface Snapshot {
  version: 1;
  nextRequestId: number;
  requests: RequestRecord[];
}

interface JournalLine {
  nextRequestId: number;
  record: RequestRecord;
}

const COMPACT_AFTER = 500;

export class RequestStore {
  private readonly records = new Map<number, RequestRecord>();
  private nextId: number;
  private journalLines = 0;
  private writes: Promise<void> = Promise.resolve();
  /** Journal lines not yet appended, and the queued append that will write them. */
  private pendingLines: string[] = [];
  private pendingCommit: Promise<void> | undefined;

  private constructor(
    private readonly dir: string,
    snapshot: Snapshot,
  ) {
    this.nextId = snapshot.nextRequestId;
    for (const r of snapshot.requests) this.records.set(r.requestId, r);
  }

  /**
   * Opens (or creates) the store. A new store starts its request ids at a random base in
   * [1000, 9000) so clients cannot get away with assuming small fixed ids; the base persists.
   */
  static async open(dir: string): Promise<RequestStore> {
    const snapshotPath = join(dir, 'requests.json');
    let snapshot: Snapshot;
    try {
      snapshot = JSON.parse(await readFile(snapshotPath, 'utf8')) as Snapshot;
      if (snapshot.version !== 1 || !Number.isInteger(snapshot.nextRequestId) || !Array.isArray(snapshot.requests)) {
        throw new Error(`${snapshotPath}: unsupported or corrupt request database`);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      snapshot = {
        version: 1,
        nextRequestId: randomInt(1000, 9000),
        requests: [],
      };
    }
    const store = new RequestStore(dir, snapshot);
    await store.replayJournal();
    await store.compact();
    return store;
  }

  /** Reserves the next request id (synchronously, so concurrent submissions never share one). */
  allocateId(): number {
    return this.nextId++;
  }

  get(requestId: number): RequestRecord | undefined {
    const r = this.records.get(requestId);
    return r === undefined ? undefined : { ...r };
  }

  list(status?: RequestStatus): RequestRecord[] {
    return [...this.records.values()].filter((r) => status === undefined || r.status === status).map((r) => ({ ...r }));
  }

  /**
   * Stores a new or changed record; resolves once it is durable. Lines that arrive while an
   * append is under way are written together by the next one (group commit: one append and one
   * fsync for all of them), in the order put was called.
   */
  async put(record: RequestRecord): Promise<void> {
    this.records.set(record.requestId, { ...record });
    const line: JournalLine = { nextRequestId: this.nextId, record };
    this.pendingLines.push(JSON.stringify(line) + '\n');
    this.pendingCommit ??= this.enqueue(async () => {
      this.pendingCommit = undefined;
      const lines = this.pendingLines;
      this.pendingLines = [];
      const fh = await open(join(this.dir, 'requests.journal'), 'a');
      try {
        await fh.appendFile(lines.join(''));
        await fh.sync();
      } finally {
        await fh.close();
      }
      this.journalLines += lines.length;
      // Compact once the journal is as long as the database (at least COMPACT_AFTER lines), so
      // rewriting the snapshot costs O(1) per change however many requests the CA holds.
      if (this.journalLines >= Math.max(COMPACT_AFTER, this.records.size)) await this.writeSnapshot();
    });
    await this.pendingCommit;
  }

  /** Waits for pending writes (for shutdown and tests). */
  async flush(): Promise<void> {
    await this.writes;
  }

  private async replayJournal(): Promise<void> {
    let text: string;
    try {
      text = await readFile(join(this.dir, 'requests.journal'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const lines = text.split('\n');
    lines.forEach((raw, i) => {
      if (raw.trim() === '') return;
      let line: JournalLine;
      try {
        line = JSON.parse(raw) as JournalLine;
      } catch (e) {
        if (i >= lines.length - 2) return; // torn final append: the write never completed
        throw new Error(`requests.journal line ${i + 1} is corrupt: ${(e as Error).message}`, { cause: e });
      }
      this.records.set(line.record.requestId, line.record);
      this.nextId = Math.max(this.nextId, line.nextRequestId, line.record.requestId + 1);
    });
  }

  private async compact(): Promise<void> {
    await this.enqueue(() => this.writeSnapshot());
  }

  private async writeSnapshot(): Promise<void> {
    const snapshot: Snapshot = {
      version: 1,
      nextRequestId: this.nextId,
      requests: [...this.records.values()],
    };
    const path = join(this.dir, 'requests.json');
    const tmp = `${path}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(snapshot));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await rm(join(this.dir, 'requests.journal'), { force: true });
    this.journalLines = 0;
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.writes.then(task);
    this.writes = run.catch(() => undefined);
    return run;
  }
}
