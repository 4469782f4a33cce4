/**
 * libs/wcce Kerberos client against a real MIT KDC (Debian krb5-kdc), started on loopback by
 * scripts/peers/mit-kdc.sh. Run: ENROLLGATE_TEST_KIND=interop npm run test:unit -- libs/wcce/test/interop/kerberos-mit
 *
 * AS exchange with a password (pre-authentication and not), with a keytab, TGS for cifs/ and host/,
 * wrong password → AUTH_FAILED, a ccache written by MIT kinit (+ kvno) read by us, a ccache written
 * by us read by MIT klist, and our AP-REQs accepted by our acceptor with the KDC-issued service keytab
 * (and the ticket decrypted with that keytab, i.e. MIT really encrypted it for the service).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KdcClient } from '../../src/kerberos/kdc-client.js';
import { KerberosAcceptorContext, KerberosInitiatorContext } from '../../src/kerberos/context.js';
import { readKeytab } from '../../src/kerberos/files/keytab.js';
import { readCcache, writeCcache } from '../../src/kerberos/files/ccache.js';
import { KerberosTicketManager } from '../../src/kerberos/ticket-manager.js';
import { parsePrincipal } from '../../src/kerberos/messages/principal.js';
import { openData } from '../../src/kerberos/messages/encrypted-data.js';
import { decodeEncTicketPart } from '../../src/kerberos/messages/ticket.js';
import { KeyUsage } from '../../src/kerberos/crypto/index.js';
import { RpcAuthLevel } from '../../src/security/provider.js';

const SCRIPT = new URL('../../../../scripts/peers/mit-kdc.sh', import.meta.url).pathname;

interface Kdc {
  dir: string;
  env: Record<string, string>;
}

function startKdc(): Kdc {
  const dir = mkdtempSync(join(tmpdir(), 'enrollgate-mitkdc-'));
  execFileSync('bash', [SCRIPT, 'start', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const env = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { dir, env };
}

describe('Kerberos against MIT krb5-kdc', () => {
  let kdc: Kdc;
  let client: KdcClient;
  let realm: string;
  let user: string;
  let password: string;
  let host: string;

  beforeAll(() => {
    kdc = startKdc();
    ({ KRB_REALM: realm, KRB_USER: user, KRB_PASSWORD: password, KRB_HOST: host } = kdc.env as Record<string, string>);
    client = new KdcClient({ kdcs: [{ host: kdc.env.KDC_HOST!, port: Number(kdc.env.KDC_PORT) }], timeoutMs: 5000 });
  });

  afterAll(() => {
    if (kdc) {
      execFileSync('bash', [SCRIPT, 'stop', kdc.dir]);
      rmSync(kdc.dir, { recursive: true, force: true });
    }
  });

  const mitEnv = (): NodeJS.ProcessEnv => ({
    ...process.env,
    KRB5_CONFIG: kdc.env.KRB5_CONFIG,
    KRB5CCNAME: `FILE:${join(kdc.dir, 'mit.ccache')}`,
    PATH: `${process.env.PATH}:/usr/sbin`,
  });

  it('AS exchange with a password and encrypted-timestamp pre-authentication (salt from ETYPE-INFO2)', async () => {
    const tgt = await client.asExchange(parsePrincipal(user, realm), { kind: 'password', password });
    expect(tgt.server.name.nameString).toEqual(['krbtgt', realm]);
    expect(tgt.sessionKey.etype).toBe(18);
    expect(tgt.endtime.getTime()).toBeGreaterThan(Date.now());
  });

  it('AS exchange for a principal without pre-authentication', async () => {
    const tgt = await client.asExchange(parsePrincipal('nopreauth', realm), { kind: 'password', password });
    expect(tgt.client.name.nameString).toEqual(['nopreauth']);
  });

  it.each(['alice', 'nopreauth'])('wrong password → AUTH_FAILED, not retryable (%s)', async (name) => {
    const p = client.asExchange(parsePrincipal(name === 'alice' ? user : name, realm), { kind: 'password', password: 'wrong' });
    await expect(p).rejects.toMatchObject({ code: 'AUTH_FAILED', retryable: false });
  });

  it('unknown client → AUTH_FAILED', async () => {
    await expect(client.asExchange(parsePrincipal('nobody', realm), { kind: 'password', password })).rejects.toMatchObject({ code: 'AUTH_FAILED' });
  });

  it('AS exchange with a keytab, then TGS for cifs/ and host/ decrypting with the KDC-issued service keytab', async () => {
    const tgt = await client.asExchange(parsePrincipal(user, realm), { kind: 'keytab', entries: await readKeytab(kdc.env.USER_KEYTAB!) });
    const serviceKeys = await readKeytab(kdc.env.SERVICE_KEYTAB!);
    for (const svc of ['cifs', 'host']) {
      const st = await client.tgsExchange(tgt, parsePrincipal(`${svc}/${host}@${realm}`));
      expect(st.server.name.nameString).toEqual([svc, host]);
      const key = serviceKeys.find((e) => e.principal.name.nameString[0] === svc && e.key.etype === st.ticket.encPart.etype)!;
      const part = decodeEncTicketPart(openData(key.key, KeyUsage.KDC_REP_TICKET, st.ticket.encPart));
      expect(part.cname.nameString).toEqual([user]);
      expect(part.key).toEqual(st.sessionKey);
    }
  });

  it('unknown service → PROTOCOL, not retryable, names the SPN', async () => {
    const tgt = await client.asExchange(parsePrincipal(user, realm), { kind: 'password', password });
    await expect(client.tgsExchange(tgt, parsePrincipal(`cifs/10.0.0.1@${realm}`))).rejects.toMatchObject({ code: 'PROTOCOL', retryable: false });
  });

  it('reads a ccache written by MIT kinit + kvno, and uses it for service tickets without a password', async () => {
    execFileSync('kinit', [`${user}@${realm}`], { env: mitEnv(), input: `${password}\n` });
    execFileSync('kvno', [`cifs/${host}@${realm}`], { env: mitEnv() });
    const cc = await readCcache(`FILE:${join(kdc.dir, 'mit.ccache')}`);
    expect(cc.defaultPrincipal.name.nameString).toEqual([user]);
    const sut = new KerberosTicketManager(
      { kind: 'kerberos', principal: user, realm, ccachePath: join(kdc.dir, 'mit.ccache') },
      { kdcs: [{ host: '127.0.0.1', port: Number(kdc.env.KDC_PORT) }] },
    );
    const cifs = await sut.serviceTicket(`cifs/${host}`); // from the ccache (kvno put it there)
    const hostTicket = await sut.serviceTicket(`host/${host}`); // TGS with the ccache's TGT
    expect(cifs.server.name.nameString).toEqual(['cifs', host]);
    expect(hostTicket.server.name.nameString).toEqual(['host', host]);
    expect(sut.expiries().length).toBeGreaterThanOrEqual(2);
  });

  it('MIT klist reads a ccache we wrote', async () => {
    const tgt = await client.asExchange(parsePrincipal(user, realm), { kind: 'password', password });
    const path = join(kdc.dir, 'ours.ccache');
    await writeCcache(path, {
      defaultPrincipal: tgt.client,
      credentials: [
        {
          client: tgt.client,
          server: tgt.server,
          key: tgt.sessionKey,
          authtime: tgt.authtime,
          starttime: tgt.starttime,
          endtime: tgt.endtime,
          ...(tgt.renewTill ? { renewTill: tgt.renewTill } : {}),
          isSkey: false,
          ticketFlags: tgt.flags,
          ticket: tgt.ticket.raw,
        },
      ],
    });
    const out = execFileSync('klist', ['-c', `FILE:${path}`], { env: mitEnv() }).toString();
    expect(out).toContain(`${user}@${realm}`);
    expect(out).toContain(`krbtgt/${realm}@${realm}`);
    // ... and MIT kvno can use our TGT to get a service ticket.
    execFileSync('kvno', ['-c', `FILE:${path}`, `host/${host}@${realm}`], { env: mitEnv() });
  });

  it('ticket manager caches, shares in-flight requests, and renews (RFC 4120 RENEW) inside the renewal window', async () => {
    const kdcs = [{ host: '127.0.0.1', port: Number(kdc.env.KDC_PORT) }];
    const sut = new KerberosTicketManager({ kind: 'kerberos', principal: `${user}@${realm}`, password }, { kdcs });
    const [a, b] = await Promise.all([sut.serviceTicket(`cifs/${host}`), sut.serviceTicket(`cifs/${host}`)]);
    expect(a).toBe(b);
    expect(await sut.serviceTicket(`cifs/${host}`)).toBe(a);
    // A window longer than the 10 h lifetime: every ticket is due for renewal at once.
    const eager = new KerberosTicketManager({ kind: 'kerberos', principal: `${user}@${realm}`, password }, { kdcs, renewBeforeSeconds: 11 * 3600 });
    const tgt1 = await eager.tgt();
    const tgt2 = await eager.tgt();
    expect(tgt2).not.toBe(tgt1);
    expect(tgt2.authtime).toEqual(tgt1.authtime); // renewed, not re-acquired: same authtime
    expect(await eager.serviceTicket(`host/${host}`)).not.toBe(await eager.serviceTicket(`host/${host}`));
  });

  it('clock skew gets its own message (KRB_AP_ERR_SKEW)', async () => {
    const skewed = new KdcClient({ kdcs: [{ host: '127.0.0.1', port: Number(kdc.env.KDC_PORT) }], now: () => new Date(Date.now() + 3600_000) });
    await expect(skewed.asExchange(parsePrincipal(user, realm), { kind: 'password', password })).rejects.toMatchObject({
      code: 'PROTOCOL',
      retryable: false,
      status: 37,
      message: expect.stringMatching(/clock skew/),
    });
  });

  it.each(['smb', 'dce'] as const)('our %s-style AP-REQ with a KDC-issued ticket is accepted with the KDC-issued service keytab', async (style) => {
    const sut = new KerberosTicketManager(
      { kind: 'kerberos', principal: user, realm, password },
      { kdcs: [{ host: '127.0.0.1', port: Number(kdc.env.KDC_PORT) }] },
    );
    const spn = `${style === 'smb' ? 'cifs' : 'host'}/${host}`;
    const initiator = new KerberosInitiatorContext({ ticket: () => sut.serviceTicket(spn), style });
    const acceptor = new KerberosAcceptorContext({ keytab: await readKeytab(kdc.env.SERVICE_KEYTAB!) });
    let token = (await initiator.step()).output;
    while (token && !acceptor.complete) {
      const a = await acceptor.step(token);
      token = a.output && !initiator.complete ? (await initiator.step(a.output)).output : undefined;
    }
    expect(acceptor.complete && initiator.complete).toBe(true);
    expect(acceptor.peerName).toBe(`${user}@${realm}`);
    expect(initiator.sessionKey()).toEqual(acceptor.sessionKey());
    const pdu = { header: Buffer.alloc(24), stub: Buffer.from('ICPR stub'.padEnd(32, '.')), trailer: Buffer.alloc(8) };
    const w = initiator.wrap(RpcAuthLevel.PKT_PRIVACY, pdu);
    expect(acceptor.unwrap(RpcAuthLevel.PKT_PRIVACY, { ...pdu, stub: w.stub }, w.verifier)).toEqual(pdu.stub);
  });
});
