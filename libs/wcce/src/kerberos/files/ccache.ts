import { readFile, rename, writeFile } from 'node:fs/promises';
import { WcceError } from '../../errors.js';
import { ByteWriter } from '../../util/writer.js';
import type { KerberosKey } from '../crypto/index.js';
import { samePrincipal, type Principal } from '../messages/principal.js';
import { BigEndianReader } from './reader.js';

/**
 * MIT credential cache files, version 4 (0x0504; MIT "ccache.txt"): header tags (tag 1 = KDC time
 * offset), the default principal, then credentials { client, server, keyblock, authtime,
 * starttime, endtime, renew_till, is_skey, ticket_flags, addresses, authdata, ticket, second ticket }.
 * Versions 3 (0x0503, no header) are read too; we always write v4.
 */
export interface CcacheCredential {
  client: Principal;
  server: Principal;
  key: KerberosKey;
  authtime: Date;
  starttime: Date;
  endtime: Date;
  renewTill?: Date;
  isSkey: boolean;
  ticketFlags: number;
  /** DER Ticket. */
  ticket: Buffer;
  secondTicket?: Buffer;
}

export interface Ccache {
  defaultPrincipal: Principal;
  /** KDC time offset from header tag 1 (seconds, microseconds), if present. */
  timeOffset?: { seconds: number; microseconds: number };
  credentials: CcacheCredential[];
}

const STRUCT = 'ccache';
/** MIT stores cache configuration as fake credentials for this realm (krb5_cc_set_config). */
const CONFIG_REALM = 'X-CACHECONF:';

function readPrincipal(r: BigEndianReader, field: string): Principal {
  const nameType = r.u32be(`${field}.name_type`);
  const count = r.u32be(`${field}.num_components`);
  if (count > 64) r.fail(`${field}.num_components`, `${count} components is implausible`);
  const realm = r.counted32(`${field}.realm`).toString('utf8');
  const nameString: string[] = [];
  for (let i = 0; i < count; i++) nameString.push(r.counted32(`${field}.component`).toString('utf8'));
  return { name: { nameType, nameString }, realm };
}

function time(v: number): Date {
  return new Date(v * 1000);
}

export function parseCcache(buf: Buffer): Ccache {
  const r = new BigEndianReader(buf, STRUCT);
  const version = r.u16be('version');
  if (version !== 0x0504 && version !== 0x0503) r.fail('version', `0x${version.toString(16)}, only 0x0503 and 0x0504 are supported`, 0);
  let timeOffset: Ccache['timeOffset'];
  if (version === 0x0504) {
    const headerLength = r.u16be('header_length');
    const end = r.offset + headerLength;
    while (r.offset < end) {
      const tag = r.u16be('header.tag');
      const data = r.counted16('header.data');
      if (tag === 1 && data.length === 8) timeOffset = { seconds: data.readInt32BE(0), microseconds: data.readInt32BE(4) };
    }
  }
  const defaultPrincipal = readPrincipal(r, 'default_principal');
  const credentials: CcacheCredential[] = [];
  while (r.remaining > 0) {
    const client = readPrincipal(r, 'client');
    const server = readPrincipal(r, 'server');
    const etype = r.u16be('keyblock.enctype');
    const value = Buffer.from(r.counted32('keyblock.data'));
    const authtime = r.u32be('authtime');
    const starttime = r.u32be('starttime');
    const endtime = r.u32be('endtime');
    const renewTill = r.u32be('renew_till');
    const isSkey = r.u8('is_skey') !== 0;
    const ticketFlags = r.u32be('ticket_flags');
    const addresses = r.u32be('addresses.count');
    for (let i = 0; i < addresses; i++) {
      r.u16be('address.type');
      r.counted32('address.data');
    }
    const authdata = r.u32be('authdata.count');
    for (let i = 0; i < authdata; i++) {
      r.u16be('authdata.type');
      r.counted32('authdata.data');
    }
    const ticket = Buffer.from(r.counted32('ticket'));
    const second = r.counted32('second_ticket');
    credentials.push({
      client,
      server,
      key: { etype, value },
      authtime: time(authtime),
      starttime: time(starttime || authtime),
      endtime: time(endtime),
      ...(renewTill ? { renewTill: time(renewTill) } : {}),
      isSkey,
      ticketFlags,
      ticket,
      ...(second.length ? { secondTicket: Buffer.from(second) } : {}),
    });
  }
  return { defaultPrincipal, ...(timeOffset ? { timeOffset } : {}), credentials };
}

function writePrincipal(w: ByteWriter, p: Principal): void {
  w.u32be(p.name.nameType).u32be(p.name.nameString.length);
  counted32(w, Buffer.from(p.realm, 'utf8'));
  for (const c of p.name.nameString) counted32(w, Buffer.from(c, 'utf8'));
}

function counted32(w: ByteWriter, b: Buffer): void {
  w.u32be(b.length).bytes(b);
}

function secs(d: Date | undefined): number {
  return d ? Math.floor(d.getTime() / 1000) >>> 0 : 0;
}

export function encodeCcache(c: Ccache): Buffer {
  const w = new ByteWriter();
  w.u16be(0x0504);
  if (c.timeOffset) {
    w.u16be(12).u16be(1).u16be(8);
    w.u32be(c.timeOffset.seconds >>> 0).u32be(c.timeOffset.microseconds >>> 0);
  } else {
    w.u16be(0);
  }
  writePrincipal(w, c.defaultPrincipal);
  for (const cred of c.credentials) {
    writePrincipal(w, cred.client);
    writePrincipal(w, cred.server);
    w.u16be(cred.key.etype);
    counted32(w, cred.key.value);
    w.u32be(secs(cred.authtime)).u32be(secs(cred.starttime)).u32be(secs(cred.endtime)).u32be(secs(cred.renewTill));
    w.u8(cred.isSkey ? 1 : 0).u32be(cred.ticketFlags >>> 0);
    w.u32be(0).u32be(0); // no addresses, no authdata
    counted32(w, cred.ticket);
    counted32(w, cred.secondTicket ?? Buffer.alloc(0));
  }
  return w.toBuffer();
}

/** Reads a ccache path (a `FILE:` prefix is accepted; other cache types are not). */
export async function readCcache(path: string): Promise<Ccache> {
  const file = ccachePath(path);
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    throw new WcceError('CONFIG', `cannot read Kerberos ccache ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { cause: e });
  }
  return parseCcache(buf);
}

/** Writes atomically (temp file + rename), mode 0600: a ccache holds session keys. */
export async function writeCcache(path: string, c: Ccache): Promise<void> {
  const file = ccachePath(path);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, encodeCcache(c), { mode: 0o600 });
  await rename(tmp, file);
}

export function ccachePath(name: string): string {
  if (name.startsWith('FILE:')) return name.slice(5);
  if (/^[A-Z]+:/.test(name)) throw new WcceError('CONFIG', `Kerberos ccache type ${name.split(':')[0]} is not supported (only FILE:)`);
  return name;
}

/** A usable (not expired, not a config entry) credential for `server`, newest end time first. */
export function findCredential(c: Ccache, server: Principal, now: Date = new Date()): CcacheCredential | undefined {
  return c.credentials
    .filter((x) => x.server.realm !== CONFIG_REALM && samePrincipal(x.server, server, true) && x.endtime.getTime() > now.getTime())
    .sort((a, b) => b.endtime.getTime() - a.endtime.getTime())[0];
}
