import { WcceError, isWcceError } from '../errors.js';
import type { SyntaxId } from '../dcerpc/syntax.js';
import { ICERT_PASSAGE } from '../icpr/constants.js';
import { retrieveRequest, submitRequest } from '../icpr/client.js';
import type { RequestAttributes } from '../icpr/attributes.js';
import type { IcprResult } from '../icpr/result.js';
import { RpcPipeConnection, type PipeTarget, type RpcConnectionOptions } from './rpc-connection.js';

/** A CA: where its `\pipe\cert` is, and its common name (pwszAuthority). */
export interface CaTarget extends PipeTarget {
  caName: string;
}

export interface IcprPoolOptions extends RpcConnectionOptions {
  /** Concurrent associations per (host, port, credentials); calls beyond wait. Default 8. */
  maxConnectionsPerTarget?: number;
  /** Idle associations are closed after this long. Default 60 s. */
  idleTimeoutMs?: number;
  /** Upper bound for one call: waiting for a connection, connecting, binding, the request. Default 30 s. */
  callDeadlineMs?: number;
  /**
   * The pipe and interface the pool's associations bind to. Default `\pipe\cert` + ICertPassage;
   * interop tests and benchmarks point it at Samba's `\pipe\srvsvc` (no ICPR there).
   */
  endpoint?: { pipeName: string; syntax: SyntaxId };
}

export interface SubmitOptions {
  template: string;
  csrDer: Buffer;
  attributes?: RequestAttributes;
}

export interface PoolCallInfo {
  /** True when the call ran on a new association (connect + auth + bind), false when one was reused. */
  connected: boolean;
  /**
   * True once the request was handed to a bound association: a transport failure after this
   * point may have reached the CA (acme2certifier #154), one before it cannot have.
   */
  requestSent?: boolean;
}

interface Slot {
  idle: { conn: RpcPipeConnection; since: number }[];
  active: number;
  waiters: (() => void)[];
}

/** Errors after which the association may still be used: the CA answered. */
function keepsAssociation(e: unknown): boolean {
  return isWcceError(e) && (e.code === 'CA_DENIED' || e.code === 'CA_UNAVAILABLE' || e.code === 'RPC_FAULT');
}

/**
 * MS-ICPR calls over pooled associations, keyed by (host, port, credentials): the SMB session,
 * the pipe and the RPC binding are reused across calls (acme2certifier and Certipy reconnect
 * for every request). Concurrency per key is bounded; a failed association is discarded and the
 * next call reconnects; every call is bounded by a deadline.
 */
export class IcprPool {
  private readonly slots = new Map<string, Slot>();
  private readonly reaper: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: IcprPoolOptions) {
    const idle = options.idleTimeoutMs ?? 60_000;
    this.reaper = setInterval(() => this.reapIdle(idle), Math.min(idle, 10_000));
    this.reaper.unref();
  }

  private key(target: PipeTarget): string {
    return `${target.host}|${target.port ?? 445}|${target.serverName ?? ''}|${this.options.provider.cacheKey}`;
  }

  submit(target: CaTarget, request: SubmitOptions, info?: PoolCallInfo): Promise<IcprResult> {
    return this.withConnection(target, info, (conn) =>
      submitRequest(conn.rpc, { caName: target.caName, template: request.template, csrDer: request.csrDer, attributes: request.attributes }),
    );
  }

  retrieve(target: CaTarget, requestId: number, info?: PoolCallInfo): Promise<IcprResult> {
    return this.withConnection(target, info, (conn) => retrieveRequest(conn.rpc, { caName: target.caName, requestId }));
  }

  /** Runs `fn` on a pooled association to `target` within the call deadline. */
  async withConnection<T>(target: PipeTarget, info: PoolCallInfo | undefined, fn: (conn: RpcPipeConnection) => Promise<T>): Promise<T> {
    if (this.closed) throw new WcceError('CONFIG', 'ICPR pool is closed');
    const deadlineMs = this.options.callDeadlineMs ?? 30_000;
    const deadline = Date.now() + deadlineMs;
    const key = this.key(target);
    const slot = this.slotFor(key);
    await this.acquire(slot, deadline, target);
    let conn: RpcPipeConnection | undefined;
    let keep = false;
    try {
      conn = this.takeIdle(slot);
      if (info) info.connected = conn === undefined;
      const work = (async () => {
        const endpoint = this.options.endpoint ?? { pipeName: 'cert', syntax: ICERT_PASSAGE };
        conn ??= await RpcPipeConnection.open(target, endpoint.pipeName, endpoint.syntax, this.options);
        if (info) info.requestSent = true;
        return fn(conn);
      })();
      const result = await withDeadline(work, deadline, `MS-ICPR call to ${target.host}`, () => {
        // The association is in an unknown state once abandoned: never reuse it.
        void work.then(
          (_v) => conn?.close(),
          () => conn?.close(),
        );
      });
      keep = true;
      return result;
    } catch (e) {
      keep = keepsAssociation(e);
      throw e;
    } finally {
      if (conn && keep && conn.usable && !this.closed) slot.idle.push({ conn, since: Date.now() });
      else if (conn && !keep) void conn.close();
      slot.active--;
      slot.waiters.shift()?.();
    }
  }

  private slotFor(key: string): Slot {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { idle: [], active: 0, waiters: [] };
      this.slots.set(key, slot);
    }
    return slot;
  }

  private takeIdle(slot: Slot): RpcPipeConnection | undefined {
    for (let entry = slot.idle.pop(); entry; entry = slot.idle.pop()) {
      if (entry.conn.usable) return entry.conn;
      void entry.conn.close();
    }
    return undefined;
  }

  private async acquire(slot: Slot, deadline: number, target: PipeTarget): Promise<void> {
    const max = this.options.maxConnectionsPerTarget ?? 8;
    while (slot.active >= max) {
      let wake!: () => void;
      const turn = new Promise<void>((resolve) => (wake = resolve));
      slot.waiters.push(wake);
      try {
        await withDeadline(turn, deadline, `waiting for a free association to ${target.host}`);
      } catch (e) {
        const i = slot.waiters.indexOf(wake);
        if (i >= 0) slot.waiters.splice(i, 1);
        throw e;
      }
    }
    slot.active++;
  }

  private reapIdle(idleMs: number): void {
    const now = Date.now();
    for (const slot of this.slots.values()) {
      const keepers = slot.idle.filter((e) => now - e.since < idleMs && e.conn.usable);
      for (const e of slot.idle) if (!keepers.includes(e)) void e.conn.close();
      slot.idle = keepers;
    }
  }

  /** Idle associations per key (for metrics and tests). */
  stats(): { key: string; idle: number; active: number; waiting: number }[] {
    return [...this.slots].map(([key, s]) => ({ key: key.replace(/\|[^|]*$/, ''), idle: s.idle.length, active: s.active, waiting: s.waiters.length }));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    const all = [...this.slots.values()].flatMap((s) => s.idle.splice(0).map((e) => e.conn.close()));
    await Promise.all(all);
  }
}

async function withDeadline<T>(work: Promise<T>, deadline: number, what: string, onTimeout?: () => void): Promise<T> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) {
    onTimeout?.();
    throw new WcceError('TIMEOUT', `${what}: call deadline passed`);
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new WcceError('TIMEOUT', `${what}: no answer within the call deadline`));
    }, remaining);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
